import { fetchToken, refreshAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type {
  AuthorizationServerMetadata,
  OAuthClientInformationMixed,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import {
  InvalidClientError,
  InvalidGrantError,
  OAuthError,
  UnauthorizedClientError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';
import type { AuditActor } from '../core/actor';
import type { AppDeps } from '../app';
import { AppError } from '../core/errors';
import { clientFor } from './clients';
import {
  basisOf,
  type ConnectionRow,
  markNeedsReauth,
  notConnected,
  readConnection,
  reauthRequired,
  storeTokens,
} from './connection';
import { guardedFetch } from './fetch';
import { openOAuthValue } from './sealing';

type Deps = Pick<AppDeps, 'db' | 'envelope' | 'config' | 'publicUrl' | 'auditKeys'>;

export function oauthServerQuery(db: Kysely<Database>, orgId: string, serverId: string) {
  return db
    .selectFrom('mcp_servers')
    .select(['id', 'org_id', 'url', 'oauth_scopes', 'oauth_client_id', 'oauth_client_secret_ref', 'oauth_grant'])
    .where('id', '=', serverId)
    .where('org_id', '=', orgId)
    .where('auth', '=', 'oauth');
}

/** The client credentials grant (machine to machine), through the SDK. */
export async function clientCredentialsTokens(input: {
  issuer: string;
  metadata: AuthorizationServerMetadata;
  client: OAuthClientInformationMixed;
  scope: string | undefined;
  resource: string;
  fetchFn: typeof globalThis.fetch;
}) {
  if (!input.client.client_secret) {
    throw new AppError('BAD_REQUEST', 'The client credentials grant needs oauth.clientSecretRef', {
      field: 'oauth.clientSecretRef',
      reason: 'INVALID_INPUT',
    });
  }
  const provider = new ClientCredentialsProvider({
    clientId: input.client.client_id,
    clientSecret: input.client.client_secret,
    expectedIssuer: input.issuer,
    ...(input.scope ? { scope: input.scope } : {}),
  });
  return fetchToken(provider, input.issuer, {
    metadata: input.metadata,
    resource: new URL(input.resource),
    fetchFn: input.fetchFn,
  });
}

const fresh = (row: ConnectionRow, skewMs: number) =>
  row.status === 'connected' && row.access_token && (!row.expires_at || row.expires_at.getTime() - skewMs > Date.now());

async function openAccess(deps: Deps, row: ConnectionRow) {
  const value = await openOAuthValue(
    deps,
    { purpose: 'access_token', orgId: row.org_id, serverId: row.mcp_server_id, version: row.version },
    row.access_token!,
  );
  return { value, version: row.version, expiresAt: row.expires_at };
}

/** Refusals that mean the grant is dead: only signing in again helps. */
const isDeadGrant = (err: unknown) =>
  err instanceof InvalidGrantError || err instanceof InvalidClientError || err instanceof UnauthorizedClientError;

/**
 * A valid access token for an OAuth MCP server, refreshed when it expires within the configured
 * skew. Refresh tokens rotate, so a refresh happens once across every instance: it runs under the
 * connection's row lock, and whoever waited on that lock finds the new token and uses it. A grant
 * the authorization server refuses marks the connection `needs_reauth` (audited, announced), and
 * every later call fails fast with PRECONDITION_FAILED reason `MCP_REAUTH_REQUIRED`.
 * @example const { value, expiresAt } = await resolveOAuthToken(deps, actor, orgId, serverId);
 */
export async function resolveOAuthToken(deps: Deps, actor: AuditActor, orgId: string, serverId: string) {
  const skew = deps.config.mcpOAuthRefreshSkewMs;
  const row = await readConnection(deps.db, orgId, serverId);
  if (!row) throw notConnected(serverId);
  if (row.status === 'needs_reauth') throw reauthRequired(serverId, row.failure ?? 'refused');
  if (fresh(row, skew)) return openAccess(deps, row);

  const outcome = await deps.db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('mcp_oauth_connections')
      .selectAll()
      .where('mcp_server_id', '=', serverId)
      .where('org_id', '=', orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!locked) return { kind: 'not_connected' as const };
    if (locked.status === 'needs_reauth') return { kind: 'reauth' as const, why: locked.failure ?? 'refused' };
    if (fresh(locked, skew)) return { kind: 'ok' as const, row: locked };
    const server = await oauthServerQuery(trx, orgId, serverId).executeTakeFirst();
    if (!server) return { kind: 'not_connected' as const };
    const fetchFn = guardedFetch(deps);
    const metadata = locked.as_metadata as AuthorizationServerMetadata;
    try {
      const client = await clientFor(deps, trx, {
        server: server,
        issuer: locked.issuer,
        metadata,
        fetchFn,
        clientId: locked.client_id,
      });
      let tokens;
      if (locked.grant_type === 'client_credentials') {
        tokens = await clientCredentialsTokens({
          issuer: locked.issuer,
          metadata,
          client: client.info,
          scope: locked.scopes || undefined,
          resource: locked.resource,
          fetchFn,
        });
      } else {
        if (!locked.refresh_token) {
          await markNeedsReauth(deps, trx, locked, actor, 'no_refresh_token');
          return { kind: 'reauth' as const, why: 'no_refresh_token' };
        }
        const refreshToken = await openOAuthValue(
          deps,
          { purpose: 'refresh_token', orgId, serverId, version: locked.version },
          locked.refresh_token,
        );
        tokens = await refreshAuthorization(locked.issuer, {
          metadata,
          clientInformation: client.info,
          refreshToken,
          resource: new URL(locked.resource),
          fetchFn,
        });
      }
      const saved = await storeTokens(deps, trx, {
        basis: basisOf(locked),
        tokens,
        actor,
        action: 'mcp.oauth.refresh',
        previous: locked,
      });
      return { kind: 'ok' as const, row: saved };
    } catch (err) {
      if (!isDeadGrant(err)) return { kind: 'unavailable' as const, cause: err };
      const code = err instanceof OAuthError ? err.errorCode : 'invalid_grant';
      await markNeedsReauth(deps, trx, locked, actor, code);
      return { kind: 'reauth' as const, why: code };
    }
  });
  switch (outcome.kind) {
    case 'ok':
      return openAccess(deps, outcome.row);
    case 'not_connected':
      throw notConnected(serverId);
    case 'reauth':
      throw reauthRequired(serverId, outcome.why);
    case 'unavailable':
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'The MCP server’s authorization server could not refresh the token; retry later',
        {
          reason: 'MCP_OAUTH_UNAVAILABLE',
          cause: outcome.cause,
        },
      );
  }
}

/**
 * Whether a copy of the access token at `version` is still the connection's current one and
 * outside the refresh skew: a runtime holding it need not be sent the value again.
 */
export async function accessTokenCurrent(deps: Deps, orgId: string, serverId: string, version: number) {
  const row = await readConnection(deps.db, orgId, serverId);
  return !!row && row.version === version && !!fresh(row, deps.config.mcpOAuthRefreshSkewMs);
}

/** Current versions of OAuth connections among `ids` (for a runtime's re-check after reconnecting). */
export async function connectionVersions(db: Kysely<Database>, orgId: string, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('mcp_oauth_connections')
    .select(['mcp_server_id as id', 'version'])
    .where('org_id', '=', orgId)
    .where('mcp_server_id', 'in', ids)
    .execute();
}
