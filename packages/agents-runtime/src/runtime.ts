import { createGuardedFetch, parseAllowlist } from '@strongroom/address-guard';
import { createStrongroomClient } from '@strongroom/client';
import { DEFAULT_GATEWAY_BASE_URL } from './providers/cloudflare-ai-gateway/binding';
import { createResolver } from './resolver';
import { type RunInput, type RunResult, type RunSettings, runTurn, streamTurn } from './run';
import { createSecretCache } from './secret-cache';

export type { RunInput } from './run';

export interface AgentsRuntimeOptions {
  /** Strongroom's origin, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** A worker token of the org(s) this runtime serves. */
  workerToken: string;
  gateway?: {
    /** Default: Cloudflare's AI Gateway. */
    baseUrl?: string;
    /** The global AI Gateway token; default `AI_GATEWAY_TOKEN`, else the `ai-gateway-token` infra secret. */
    token?: string;
  };
  /**
   * `maxAgeMs`: how long a resolved value may be reused at most; `tokenExpiryMarginMs`: an OAuth
   * access token is dropped this long before it expires (default 30 s), so a fresh one is asked for.
   */
  cache?: { maxAgeMs?: number; tokenExpiryMarginMs?: number };
  mcp?: {
    /**
     * Destinations allowed although the address guard blocks them (loopback, private, link-local,
     * metadata…): host names, IP addresses or CIDRs, as an array or a comma-separated string.
     * Default: `MCP_ALLOWED_HOSTS`, the same setting the API uses.
     */
    allowedHosts?: string | readonly string[];
    /** Time to connect and receive response headers per MCP request, in ms (default 300 000). */
    timeoutMs?: number;
  };
  /** Model/tool round trips per run (default 5). */
  maxSteps?: number;
  /** For calls to Strongroom and the gateway; MCP servers are always reached through the address guard. */
  fetch?: typeof globalThis.fetch;
}

/**
 * The worker SDK: resolves everything a run needs in one call to Strongroom (cached per asker and
 * version, dropped on change events), calls the agent's model through the factory of its
 * provider's type, and gives it the agent's MCP tools — never putting a credential into model
 * context, a log or an error.
 * @example
 * const runtime = createAgentsRuntime({ url, workerToken });
 * const { text } = await runtime.runAgent({ orgId, agentId, messages: [{ role: 'user', content: 'hi' }] });
 */
export function createAgentsRuntime(options: AgentsRuntimeOptions) {
  if (!options?.workerToken) throw new TypeError('Expected `workerToken` to be a Strongroom worker token');
  const client = createStrongroomClient({
    url: options.url,
    token: options.workerToken,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const cache = createSecretCache({
    maxAgeMs: options.cache?.maxAgeMs ?? 5 * 60_000,
    ...(options.cache?.tokenExpiryMarginMs !== undefined ? { expiryMarginMs: options.cache.tokenExpiryMarginMs } : {}),
  });
  const gatewayToken = options.gateway?.token ?? process.env.AI_GATEWAY_TOKEN;
  const resolver = createResolver({
    client,
    cache,
    ownInfraSecrets: gatewayToken ? { 'ai-gateway-token': gatewayToken } : {},
  });
  const settings: RunSettings = {
    maxSteps: options.maxSteps ?? 5,
    mcpFetch: createGuardedFetch({
      allow: parseAllowlist(options.mcp?.allowedHosts ?? process.env.MCP_ALLOWED_HOSTS ?? '', {
        setting: options.mcp?.allowedHosts === undefined ? 'MCP_ALLOWED_HOSTS' : '`mcp.allowedHosts`',
      }),
      timeoutMs: options.mcp?.timeoutMs ?? 300_000,
    }),
    model: { gatewayBaseUrl: options.gateway?.baseUrl ?? DEFAULT_GATEWAY_BASE_URL, fetch: options.fetch },
  };

  return {
    /** One agent turn: the model's final text and each step's tool calls and results, scrubbed. */
    async runAgent(input: RunInput): Promise<RunResult> {
      return runTurn(await resolver.runCredentials(input), input.messages, settings);
    },

    /** The same turn, streamed: scrubbed text deltas, then the final result. */
    async *streamAgent(input: RunInput): AsyncGenerator<string, RunResult> {
      return yield* streamTurn(await resolver.runCredentials(input), input.messages, settings);
    },

    /** One secret for an agent (in a chat), e.g. a tool credential; FORBIDDEN becomes `GRANT_DENIED`. */
    resolveSecret: resolver.resolveSecret,

    /** Stops the event subscriptions and forgets every cached value. */
    close: resolver.close,
  };
}

export type AgentsRuntime = ReturnType<typeof createAgentsRuntime>;
