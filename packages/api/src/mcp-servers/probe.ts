import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AddressGuardError, type Allowlist, createGuardedFetch } from '@strongroom/address-guard';
import type { McpTool } from '@strongroom/db';

export type ProbeErrorCode =
  | 'UNAUTHORIZED'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'NOT_MCP'
  | 'BLOCKED_ADDRESS'
  | 'NOT_CONNECTED'
  | 'NEEDS_REAUTH'
  | 'INSUFFICIENT_SCOPE'
  | 'OAUTH_UNAVAILABLE';
export type ProbeResult =
  | { ok: true; tools: McpTool[] }
  | { ok: false; error: { code: ProbeErrorCode; message: string } };

export interface ProbeOptions {
  allow: Allowlist;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Told of a 403 `insufficient_scope` challenge and the scope it asks for (RFC 6750 §3.1). */
  onForbidden?: (challenge: { scope: string }) => void;
}

const codeOf = (err: unknown): string | undefined => {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.code === 'string' ? e.code : undefined;
};

/** Names the cause in words a person can act on; never echoes the token. */
function explain(err: unknown, host: string, timeoutMs: number): { code: ProbeErrorCode; message: string } {
  if (err instanceof AddressGuardError) {
    return err.code === 'UNRESOLVED'
      ? { code: 'UNREACHABLE', message: `${host} could not be reached: ${err.message}` }
      : { code: 'BLOCKED_ADDRESS', message: err.message };
  }
  if (err instanceof StreamableHTTPError && (err.code === 401 || err.code === 403)) {
    return {
      code: 'UNAUTHORIZED',
      message: `${host} rejected the credentials (HTTP ${err.code}); check the secret it references`,
    };
  }
  const code = codeOf(err);
  if (
    code === 'ETIMEDOUT' ||
    code === 'ABORT_ERR' ||
    (err as { code?: unknown })?.code === -32001 ||
    /timed? ?out/i.test(String((err as Error)?.message))
  ) {
    return { code: 'TIMEOUT', message: `${host} did not answer within ${timeoutMs} ms` };
  }
  if (
    code &&
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE|CERT_|ERR_TLS|DEPTH_ZERO)/.test(code)
  ) {
    return { code: 'UNREACHABLE', message: `${host} could not be reached (${code})` };
  }
  return { code: 'NOT_MCP', message: `${host} answered, but not as an MCP server (Streamable HTTP)` };
}

/** Reports a 403 `insufficient_scope` challenge (parsed by the SDK) before the transport throws. */
function watchForbidden(fetchFn: typeof globalThis.fetch, options: ProbeOptions): typeof globalThis.fetch {
  if (!options.onForbidden) return fetchFn;
  return async (input, init) => {
    const res = await fetchFn(input, init);
    if (res.status === 403) {
      const { error, scope } = extractWWWAuthenticateParams(res);
      if (error === 'insufficient_scope') options.onForbidden!({ scope: scope ?? '' });
    }
    return res;
  };
}

/**
 * Connects to an MCP server the way the runtime will (Streamable HTTP, `Authorization: Bearer`),
 * lists its tools, and disconnects — with short timeouts and the address guard, so a bad URL gives
 * a clear error and never a hang.
 * @example const result = await probeMcpServer('https://mcp.example.com/mcp', token, options);
 */
export async function probeMcpServer(url: string, token: string | null, options: ProbeOptions): Promise<ProbeResult> {
  const target = new URL(url);
  const transport = new StreamableHTTPClientTransport(target, {
    fetch: watchForbidden(createGuardedFetch({ allow: options.allow, timeoutMs: options.connectTimeoutMs }), options),
    ...(token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {}),
  });
  const client = new Client({ name: 'strongroom-validate', version: '1.0.0' });
  const deadline = options.connectTimeoutMs + options.requestTimeoutMs;
  try {
    await client.connect(transport, { timeout: deadline });
    const { tools } = await client.listTools(undefined, { timeout: options.requestTimeoutMs });
    return { ok: true, tools: tools.map((t) => ({ name: t.name, description: t.description ?? '' })) };
  } catch (err) {
    return { ok: false, error: explain(err, target.host, deadline) };
  } finally {
    await client.close().catch(() => {});
  }
}
