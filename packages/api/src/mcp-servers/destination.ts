import { AddressGuardError, type Allowlist, checkDestination, parseAllowlist } from '@strongroom/address-guard';
import type { Config } from '../core/config';
import { AppError } from '../core/errors';

const parsed = new WeakMap<Config, Allowlist>();

/** The operator's MCP_ALLOWED_HOSTS, parsed once per configuration. */
export function mcpAllowlist(config: Config): Allowlist {
  let allow = parsed.get(config);
  if (!allow) {
    allow = parseAllowlist(config.mcpAllowedHosts, { setting: 'MCP_ALLOWED_HOSTS' });
    parsed.set(config, allow);
  }
  return allow;
}

/**
 * Refuses to store an MCP server URL that leads to a blocked address (BAD_REQUEST on `url`, with
 * the reason). A name that does not resolve yet is accepted: every connection is checked again,
 * so this is the early answer for the admin, not the boundary.
 * @example await requireAllowedUrl(deps.config, input.url);
 */
export async function requireAllowedUrl(config: Config, url: string): Promise<void> {
  try {
    await checkDestination(new URL(url), mcpAllowlist(config));
  } catch (err) {
    if (err instanceof AddressGuardError && err.code !== 'UNRESOLVED') {
      throw new AppError('BAD_REQUEST', `url: ${err.message}`, { field: 'url', reason: err.code, cause: err });
    }
    if (!(err instanceof AddressGuardError)) throw err;
  }
}
