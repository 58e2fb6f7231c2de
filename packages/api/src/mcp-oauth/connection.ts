import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Database, McpOAuthGrant } from '@strongroom/db';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { appendAudit } from '../audit/service';
import type { AuditActor } from '../core/actor';
import type { AppDeps } from '../app';
import { AppError } from '../core/errors';
import { publish } from '../core/event-hub';
import { iso, isoOrNull } from '../core/schemas';
import { openOAuthValue, sealOAuthValue } from './sealing';

export type ConnectionRow = Selectable<Database['mcp_oauth_connections']>;

/** What a server's OAuth connection looks like from outside: no token, ever. */
export interface OAuthView {
  status: 'not_connected' | 'connected' | 'needs_reauth';
  issuer: string | null;
  scopes: string[];
  expiresAt: string | null;
  connectedAt: string | null;
  connectedBy: string | null;
  /** Why it needs signing in again (`invalid_grant`, ...) or more scopes (`insufficient_scope`). */
  reason: string | null;
}

export const splitScopes = (s: string | null | undefined) => (s ?? '').split(' ').filter(Boolean);

export function oauthView(
  row:
    | Pick<ConnectionRow, 'status' | 'issuer' | 'scopes' | 'expires_at' | 'connected_at' | 'connected_by' | 'failure'>
    | undefined
    | null,
): OAuthView {
  if (!row) {
    return {
      status: 'not_connected',
      issuer: null,
      scopes: [],
      expiresAt: null,
      connectedAt: null,
      connectedBy: null,
      reason: null,
    };
  }
  return {
    status: row.status,
    issuer: row.issuer,
    scopes: splitScopes(row.scopes),
    expiresAt: isoOrNull(row.expires_at),
    connectedAt: iso(row.connected_at),
    connectedBy: row.connected_by,
    reason: row.failure,
  };
}

/** PRECONDITION_FAILED with reason `MCP_REAUTH_REQUIRED`: an admin must press Connect again. */
export const reauthRequired = (serverId: string, why: string) =>
  new AppError(
    'PRECONDITION_FAILED',
    `MCP server ${serverId} needs signing in again (${why}); an admin must reconnect it`,
    {
      reason: 'MCP_REAUTH_REQUIRED',
      details: { mcpServerId: serverId },
    },
  );

export const notConnected = (serverId: string) =>
  new AppError(
    'PRECONDITION_FAILED',
    `MCP server ${serverId} uses OAuth and is not connected; an admin must connect it`,
    {
      reason: 'MCP_NOT_CONNECTED',
      details: { mcpServerId: serverId },
    },
  );

/** A connection's fixed facts: how it was made and against what. */
export interface ConnectionBasis {
  orgId: string;
  serverId: string;
  grantType: McpOAuthGrant;
  issuer: string;
  clientId: string;
  resource: string;
  metadata: Record<string, unknown>;
  /** Scopes asked for, used when the token response does not say what was granted. */
  requestedScopes: string;
  connectedBy?: string | null;
}

/**
 * Seals and stores a new token set under the next version (access and refresh token each bound to
 * org, server, purpose and version), audits it and tells every instance and runtime. A refresh
 * token the server did not rotate is carried over, re-sealed under the new version.
 */
export async function storeTokens(
  deps: Pick<AppDeps, 'envelope' | 'auditKeys'>,
  trx: Transaction<Database>,
  input: {
    basis: ConnectionBasis;
    tokens: OAuthTokens;
    actor: AuditActor;
    action: 'mcp.oauth.connect' | 'mcp.oauth.refresh';
    /** The row being refreshed (locked by the caller), for its version and refresh token. */
    previous?: ConnectionRow;
  },
): Promise<ConnectionRow> {
  const { basis, tokens, previous } = input;
  const current =
    previous ??
    (await trx
      .selectFrom('mcp_oauth_connections')
      .selectAll()
      .where('mcp_server_id', '=', basis.serverId)
      .forUpdate()
      .executeTakeFirst());
  const version = (current?.version ?? 0) + 1;
  const at = { orgId: basis.orgId, serverId: basis.serverId, version };
  const access = await sealOAuthValue(deps, { purpose: 'access_token', ...at }, tokens.access_token);
  let refreshToken = tokens.refresh_token;
  if (!refreshToken && input.action === 'mcp.oauth.refresh' && current?.refresh_token) {
    refreshToken = await openOAuthValue(
      deps,
      { purpose: 'refresh_token', orgId: basis.orgId, serverId: basis.serverId, version: current.version },
      current.refresh_token,
    );
  }
  const refresh = refreshToken
    ? await sealOAuthValue(deps, { purpose: 'refresh_token', ...at }, refreshToken)
    : undefined;
  const scopes =
    tokens.scope ?? (input.action === 'mcp.oauth.refresh' && current ? current.scopes : basis.requestedScopes);
  const values = {
    status: 'connected' as const,
    grant_type: basis.grantType,
    issuer: basis.issuer,
    client_id: basis.clientId,
    resource: basis.resource,
    as_metadata: JSON.stringify(basis.metadata),
    scopes,
    access_token: access.sealed,
    refresh_token: refresh?.sealed ?? null,
    kek_id: access.kekId,
    version,
    expires_at: tokens.expires_in ? new Date(Date.now() + tokens.expires_in * 1000) : null,
    updated_at: new Date(),
  };
  const connectedBy =
    input.action === 'mcp.oauth.connect'
      ? { connected_by: basis.connectedBy ?? null, connected_at: new Date(), failure: null, wanted_scopes: null }
      : {};
  const row = await trx
    .insertInto('mcp_oauth_connections')
    .values({ mcp_server_id: basis.serverId, org_id: basis.orgId, ...values, ...connectedBy })
    .onConflict((oc) => oc.column('mcp_server_id').doUpdateSet({ ...values, ...connectedBy }))
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendAudit(trx, deps.auditKeys, input.actor, {
    action: input.action,
    targetType: 'mcpServer',
    targetId: basis.serverId,
    metadata: {
      issuer: basis.issuer,
      grantType: basis.grantType,
      version,
      scopes,
      expiresAt: isoOrNull(values.expires_at),
      rotated: input.action === 'mcp.oauth.refresh' ? tokens.refresh_token !== undefined : undefined,
    },
  });
  await publish(trx, { type: 'secret.changed', orgId: basis.orgId, id: basis.serverId, version });
  return row;
}

/**
 * Records a 403 `insufficient_scope`: the token works but lacks scopes; the next Connect asks
 * for the union of the granted and the wanted ones.
 */
export async function recordInsufficientScope(db: Kysely<Database>, orgId: string, serverId: string, wanted: string[]) {
  const row = await readConnection(db, orgId, serverId);
  if (!row) return;
  const scopes = [...new Set([...splitScopes(row.wanted_scopes), ...wanted])].join(' ');
  await db
    .updateTable('mcp_oauth_connections')
    .set({ failure: 'insufficient_scope', wanted_scopes: scopes, updated_at: new Date() })
    .where('mcp_server_id', '=', serverId)
    .where('org_id', '=', orgId)
    .execute();
}

/** Marks a connection as needing sign-in again (tokens dropped), audited and announced. */
export async function markNeedsReauth(
  deps: Pick<AppDeps, 'auditKeys'>,
  trx: Transaction<Database>,
  row: ConnectionRow,
  actor: AuditActor,
  failure: string,
  wantedScopes?: string,
): Promise<void> {
  const version = row.version + 1;
  await trx
    .updateTable('mcp_oauth_connections')
    .set({
      status: 'needs_reauth',
      failure,
      access_token: null,
      refresh_token: null,
      version,
      updated_at: new Date(),
      ...(wantedScopes !== undefined ? { wanted_scopes: wantedScopes } : {}),
    })
    .where('mcp_server_id', '=', row.mcp_server_id)
    .execute();
  await appendAudit(trx, deps.auditKeys, actor, {
    action: 'mcp.oauth.failed',
    targetType: 'mcpServer',
    targetId: row.mcp_server_id,
    metadata: { issuer: row.issuer, failure, needsReauth: true },
  });
  await publish(trx, { type: 'secret.changed', orgId: row.org_id, id: row.mcp_server_id, version });
}

export const basisOf = (row: ConnectionRow): ConnectionBasis => ({
  orgId: row.org_id,
  serverId: row.mcp_server_id,
  grantType: row.grant_type,
  issuer: row.issuer,
  clientId: row.client_id,
  resource: row.resource,
  metadata: row.as_metadata,
  requestedScopes: row.scopes,
});

export function readConnection(db: Kysely<Database>, orgId: string, serverId: string) {
  return db
    .selectFrom('mcp_oauth_connections')
    .selectAll()
    .where('mcp_server_id', '=', serverId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
}
