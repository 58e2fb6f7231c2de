import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import * as oauth from 'oauth4webapi';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import type { AppDeps } from '../app';
import { notFound } from '../core/errors';
import { publish } from '../core/event-hub';
import { clientFor } from './clients';
import { type ConnectionRow, readConnection } from './connection';
import { guardedFetch } from './fetch';
import { openOAuthValue } from './sealing';
import { oauthServerQuery } from './tokens';

/** Revokes the connection's tokens (refresh token first: it takes the access tokens with it). */
async function revokeAt(deps: Pick<AppDeps, 'db' | 'envelope' | 'config' | 'publicUrl'>, row: ConnectionRow) {
  const metadata = row.as_metadata as AuthorizationServerMetadata & oauth.AuthorizationServer;
  if (!metadata.revocation_endpoint || (!row.refresh_token && !row.access_token)) return 'not_offered';
  const server = await oauthServerQuery(deps.db, row.org_id, row.mcp_server_id).executeTakeFirst();
  if (!server) return 'not_offered';
  const fetchFn = guardedFetch(deps);
  const client = await clientFor(deps, deps.db, {
    server,
    issuer: row.issuer,
    metadata,
    fetchFn,
    clientId: row.client_id,
  });
  const methods =
    metadata.revocation_endpoint_auth_methods_supported ?? metadata.token_endpoint_auth_methods_supported ?? [];
  const secret = client.info.client_secret;
  const auth = !secret
    ? oauth.None()
    : methods.length === 0 || methods.includes('client_secret_basic')
      ? oauth.ClientSecretBasic(secret)
      : oauth.ClientSecretPost(secret);
  const at = { orgId: row.org_id, serverId: row.mcp_server_id, version: row.version };
  const token = row.refresh_token
    ? await openOAuthValue(deps, { purpose: 'refresh_token', ...at }, row.refresh_token)
    : await openOAuthValue(deps, { purpose: 'access_token', ...at }, row.access_token!);
  const response = await oauth.revocationRequest(metadata, { client_id: client.info.client_id }, auth, token, {
    [oauth.customFetch]: fetchFn,
    // The address guard decides where requests may go; http is allowed where it allows it.
    [oauth.allowInsecureRequests]: true,
    additionalParameters: { token_type_hint: row.refresh_token ? 'refresh_token' : 'access_token' },
  });
  await oauth.processRevocationResponse(response);
  return 'revoked';
}

/**
 * Disconnects an OAuth MCP server: revokes its tokens where the authorization server offers
 * revocation (a failure there is recorded, not fatal: the tokens are deleted either way), deletes
 * them and any pending sign-ins, audits `mcp.oauth.disconnect` and tells runtimes.
 * @example await disconnect(ctx, serverId);
 */
export async function disconnect(call: Call, id: string): Promise<void> {
  const { deps, actor } = call;
  const exists = await deps.db
    .selectFrom('mcp_servers')
    .select('id')
    .where('id', '=', id)
    .where('org_id', '=', actor.orgId)
    .executeTakeFirst();
  if (!exists) throw notFound('MCP server');
  const row = await readConnection(deps.db, actor.orgId, id);
  let revocation = 'not_connected';
  if (row) {
    revocation = await revokeAt(deps, row).catch((err: unknown) => {
      deps.log.warn({ mcpServerId: id, err: { name: (err as Error)?.name } }, 'MCP OAuth revocation failed');
      return 'failed';
    });
  }
  await deps.db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('mcp_oauth_connections')
      .where('mcp_server_id', '=', id)
      .returning('version')
      .executeTakeFirst();
    await trx.deleteFrom('mcp_oauth_pending').where('mcp_server_id', '=', id).execute();
    await appendAudit(trx, deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'mcp.oauth.disconnect',
      targetType: 'mcpServer',
      targetId: id,
      metadata: { issuer: row?.issuer ?? null, revocation },
    });
    if (deleted) await publish(trx, { type: 'secret.deleted', orgId: actor.orgId, id, version: deleted.version + 1 });
  });
}
