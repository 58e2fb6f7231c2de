import type { AppDeps } from '../app';
import { openValue, sealValue } from '../core/sealing';

/**
 * What an OAuth value is sealed under, like a secret's context: the org (KMS context and AAD) and
 * the row and purpose it belongs to (AAD), so a token copied to another server, org, purpose or
 * version does not open.
 */
export type OAuthSealContext =
  | { purpose: 'access_token' | 'refresh_token'; orgId: string; serverId: string; version: number }
  | { purpose: 'pkce_verifier'; orgId: string; serverId: string; stateHash: string }
  | { purpose: 'client_secret'; orgId: string; issuer: string; clientId: string };

function contextOf(c: OAuthSealContext): Record<string, string> {
  const base = { org_id: c.orgId, purpose: `mcp_oauth.${c.purpose}` };
  switch (c.purpose) {
    case 'access_token':
    case 'refresh_token':
      return { ...base, mcp_server_id: c.serverId, version: String(c.version) };
    case 'pkce_verifier':
      return { ...base, mcp_server_id: c.serverId, state_hash: c.stateHash };
    case 'client_secret':
      return { ...base, issuer: c.issuer, client_id: c.clientId };
  }
}

export const sealOAuthValue = (deps: Pick<AppDeps, 'envelope'>, context: OAuthSealContext, value: string) =>
  sealValue(deps, contextOf(context), value);

export const openOAuthValue = (deps: Pick<AppDeps, 'envelope'>, context: OAuthSealContext, sealed: Uint8Array) =>
  openValue(deps, contextOf(context), sealed);
