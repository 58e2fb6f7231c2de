import { discoverOAuthServerInfo, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { checkResourceAllowed, resourceUrlFromServerUrl } from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../core/errors';

export interface Discovered {
  issuer: string;
  metadata: AuthorizationServerMetadata;
  /** The MCP server's canonical resource identifier (RFC 8707 `resource`). */
  resource: string;
  /** Scopes the protected resource metadata (or the 401's `scope`) advertises. */
  scopesSupported: string[];
}

export const discoveryFailed = (host: string, why: string, cause?: unknown) =>
  new AppError('PRECONDITION_FAILED', `OAuth discovery for ${host} failed: ${why}`, {
    reason: 'MCP_OAUTH_DISCOVERY_FAILED',
    cause,
  });

/**
 * Finds how an MCP server wants to be signed in to, per the MCP authorization spec: an
 * unauthenticated request whose 401 names `resource_metadata`, the protected resource metadata
 * (RFC 9728, with the well-known fallbacks), then the authorization server's metadata (RFC 8414
 * or OpenID discovery) — all through `fetchFn`.
 * @example const { issuer, metadata, resource } = await discover(server.url, guardedFetch(deps));
 */
export async function discover(serverUrl: string, fetchFn: typeof globalThis.fetch): Promise<Discovered> {
  const host = new URL(serverUrl).host;
  let challenge: ReturnType<typeof extractWWWAuthenticateParams> = {};
  try {
    const res = await fetchFn(serverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'strongroom', version: '1.0.0' },
        },
      }),
    });
    await res.body?.cancel();
    if (res.status === 401) challenge = extractWWWAuthenticateParams(res);
  } catch (err) {
    throw discoveryFailed(host, 'the MCP server could not be reached', err);
  }
  let info: Awaited<ReturnType<typeof discoverOAuthServerInfo>>;
  try {
    info = await discoverOAuthServerInfo(serverUrl, {
      ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}),
      fetchFn,
    });
  } catch (err) {
    throw discoveryFailed(host, 'its authorization server metadata could not be read', err);
  }
  const metadata = info.authorizationServerMetadata;
  if (!metadata) throw discoveryFailed(host, `no authorization server metadata at ${info.authorizationServerUrl}`);
  // OAuth 2.1 with PKCE: a server that does not say it supports S256 is refused (MCP spec).
  if (!metadata.code_challenge_methods_supported?.includes('S256')) {
    throw discoveryFailed(host, 'the authorization server does not advertise PKCE with S256');
  }
  const canonical = resourceUrlFromServerUrl(serverUrl).href;
  const advertised = info.resourceMetadata?.resource;
  if (advertised && !checkResourceAllowed({ requestedResource: canonical, configuredResource: advertised })) {
    throw discoveryFailed(host, `its resource metadata names another resource (${advertised})`);
  }
  return {
    issuer: metadata.issuer,
    metadata,
    resource: advertised ?? canonical,
    scopesSupported: info.resourceMetadata?.scopes_supported ?? challenge.scope?.split(' ') ?? [],
  };
}
