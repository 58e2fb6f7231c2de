import type { AppDeps } from '../app';
import { createGuardedFetch } from '@strongroom/address-guard';
import { mcpAllowlist } from '../mcp-servers/destination';

/**
 * The `fetch` for every server-side OAuth call — the MCP server, its resource metadata, the
 * authorization server's metadata, registration, token and revocation endpoints: the same address
 * guard (MCP_ALLOWED_HOSTS) and timeout as MCP validation.
 * @example await discoverAuthorizationServerMetadata(issuer, { fetchFn: guardedFetch(deps) });
 */
export function guardedFetch(deps: Pick<AppDeps, 'config'>): typeof globalThis.fetch {
  return createGuardedFetch({ allow: mcpAllowlist(deps.config), timeoutMs: deps.config.mcpRequestTimeoutMs });
}
