import { createHash, randomBytes } from 'node:crypto';
import { exchangeAuthorization, startAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { appendAudit } from '../audit/service';
import { type AuditActor, auditActor } from '../core/actor';
import type { Call } from '../core/call';
import type { AppDeps } from '../app';
import { AppError, badInput, notFound } from '../core/errors';
import { CALLBACK_PATH, clientFor, type OAuthServer } from './clients';
import { readConnection, splitScopes, storeTokens } from './connection';
import { discover } from './discovery';
import { guardedFetch } from './fetch';
import { openOAuthValue, sealOAuthValue } from './sealing';
import { clientCredentialsTokens, oauthServerQuery } from './tokens';

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');
const union = (...lists: string[][]) => [...new Set(lists.flat())];

async function loadOAuthServer(call: Call, id: string): Promise<OAuthServer> {
  const server = await oauthServerQuery(call.deps.db, call.actor.orgId, id).executeTakeFirst();
  if (server) return server;
  const exists = await call.deps.db
    .selectFrom('mcp_servers')
    .select('id')
    .where('id', '=', id)
    .where('org_id', '=', call.actor.orgId)
    .executeTakeFirst();
  if (!exists) throw notFound('MCP server');
  throw badInput('id', 'This MCP server uses a bearer token, not OAuth: update it with `oauth` first');
}

/**
 * Starts signing an MCP server in: discovery, the client (metadata document, pre-registered or
 * dynamically registered), then an authorization URL with PKCE (S256), `state` and `resource`.
 * The pending authorization (the verifier sealed, the state only hashed) lives server-side and
 * expires. Scopes asked: the admin's (else those advertised) plus those already granted and any a
 * 403 `insufficient_scope` asked for. A client credentials server is connected at once (no URL).
 * @example const { authorizationUrl } = await startConnect(ctx, serverId);
 */
export async function startConnect(call: Call, id: string): Promise<{ authorizationUrl: string | null }> {
  const { deps, actor } = call;
  const server = await loadOAuthServer(call, id);
  const fetchFn = guardedFetch(deps);
  const found = await discover(server.url, fetchFn);
  const existing = await readConnection(deps.db, actor.orgId, id);
  const scopes = union(
    server.oauth_scopes ? splitScopes(server.oauth_scopes) : found.scopesSupported,
    splitScopes(existing?.scopes),
    splitScopes(existing?.wanted_scopes),
  ).join(' ');
  const client = await clientFor(deps, deps.db, { server, issuer: found.issuer, metadata: found.metadata, fetchFn });
  const basis = {
    orgId: actor.orgId,
    serverId: id,
    issuer: found.issuer,
    clientId: client.info.client_id,
    resource: found.resource,
    metadata: found.metadata as Record<string, unknown>,
    requestedScopes: scopes,
    connectedBy: actor.userId,
  };
  if (server.oauth_grant === 'client_credentials') {
    const tokens = await clientCredentialsTokens({
      issuer: found.issuer,
      metadata: found.metadata,
      client: client.info,
      scope: scopes || undefined,
      resource: found.resource,
      fetchFn,
    }).catch((err: unknown) => {
      if (err instanceof AppError) throw err;
      throw new AppError('PRECONDITION_FAILED', `${found.issuer} refused the client credentials`, {
        reason: 'MCP_OAUTH_TOKEN_REFUSED',
        cause: err,
      });
    });
    await deps.db.transaction().execute((trx) =>
      storeTokens(deps, trx, {
        basis: { ...basis, grantType: 'client_credentials' },
        tokens,
        actor: auditActor(actor, call.requestId),
        action: 'mcp.oauth.connect',
      }),
    );
    return { authorizationUrl: null };
  }
  const state = randomBytes(32).toString('base64url');
  const stateHash = hashState(state);
  const { authorizationUrl, codeVerifier } = await startAuthorization(found.issuer, {
    metadata: found.metadata,
    clientInformation: client.info,
    redirectUrl: `${deps.publicUrl.get()}${CALLBACK_PATH}`,
    ...(scopes ? { scope: scopes } : {}),
    state,
    resource: new URL(found.resource),
  });
  const verifier = await sealOAuthValue(
    deps,
    { purpose: 'pkce_verifier', orgId: actor.orgId, serverId: id, stateHash },
    codeVerifier,
  );
  await deps.db
    .insertInto('mcp_oauth_pending')
    .values({
      state_hash: stateHash,
      org_id: actor.orgId,
      mcp_server_id: id,
      code_verifier: verifier.sealed,
      issuer: found.issuer,
      client_id: client.info.client_id,
      resource: found.resource,
      as_metadata: JSON.stringify(found.metadata),
      scopes,
      created_by: actor.userId,
      expires_at: new Date(Date.now() + deps.config.mcpOAuthPendingTtlMs),
    })
    .execute();
  return { authorizationUrl: authorizationUrl.href };
}

export interface CallbackParams {
  code?: string | undefined;
  state?: string | undefined;
  iss?: string | undefined;
  error?: string | undefined;
}

/** Where the browser goes next, or a refusal for a state that names no pending sign-in. */
export type CallbackOutcome = { redirect: string } | { refused: string };

/**
 * Finishes a sign-in at `${PUBLIC_URL}/oauth/mcp/callback`, bound by `state` alone (no console
 * cookie): the pending authorization is consumed atomically (a second use finds nothing), the
 * `iss` response parameter is checked (RFC 9207: required when the server says it sends it, and
 * it must be the issuer asked), then the code is exchanged with the sealed PKCE verifier.
 */
export async function completeCallback(
  deps: AppDeps,
  params: CallbackParams,
  requestId: string,
): Promise<CallbackOutcome> {
  if (!params.state) return { refused: 'The sign-in response has no state' };
  const stateHash = hashState(params.state);
  const pending = await deps.db
    .updateTable('mcp_oauth_pending')
    .set({ consumed_at: new Date() })
    .where('state_hash', '=', stateHash)
    .where('consumed_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!pending) return { refused: 'This sign-in is unknown or was already completed; press Connect again' };
  const console = (outcome: string, reason?: string) =>
    `${deps.publicUrl.get()}/mcp-servers?${new URLSearchParams({ server: pending.mcp_server_id, oauth: outcome, ...(reason ? { reason } : {}) }).toString()}`;
  const actor: AuditActor = { orgId: pending.org_id, actorType: 'user', actorId: pending.created_by, requestId };
  const fail = async (reason: string) => {
    await deps.db.transaction().execute((trx) =>
      appendAudit(trx, deps.auditKeys, actor, {
        action: 'mcp.oauth.failed',
        targetType: 'mcpServer',
        targetId: pending.mcp_server_id,
        metadata: { issuer: pending.issuer, failure: reason, stage: 'callback' },
      }),
    );
    return { redirect: console('failed', reason) };
  };
  const metadata = pending.as_metadata as AuthorizationServerMetadata & {
    authorization_response_iss_parameter_supported?: boolean;
  };
  if (pending.expires_at.getTime() < Date.now()) return fail('expired');
  if (params.iss === undefined && metadata.authorization_response_iss_parameter_supported) return fail('iss_missing');
  if (params.iss !== undefined && params.iss !== pending.issuer) return fail('iss_mismatch');
  if (params.error) return fail(/^[a-z_]{1,64}$/.test(params.error) ? params.error : 'authorization_error');
  if (!params.code) return fail('code_missing');
  const server = await oauthServerQuery(deps.db, pending.org_id, pending.mcp_server_id).executeTakeFirst();
  if (!server) return fail('server_changed');
  const fetchFn = guardedFetch(deps);
  let tokens;
  try {
    const client = await clientFor(deps, deps.db, {
      server,
      issuer: pending.issuer,
      metadata,
      fetchFn,
      clientId: pending.client_id,
    });
    const codeVerifier = await openOAuthValue(
      deps,
      { purpose: 'pkce_verifier', orgId: pending.org_id, serverId: pending.mcp_server_id, stateHash },
      pending.code_verifier,
    );
    tokens = await exchangeAuthorization(pending.issuer, {
      metadata,
      clientInformation: client.info,
      authorizationCode: params.code,
      codeVerifier,
      redirectUri: `${deps.publicUrl.get()}${CALLBACK_PATH}`,
      resource: new URL(pending.resource),
      fetchFn,
    });
  } catch (err) {
    deps.log.info(
      { mcpServerId: pending.mcp_server_id, err: { name: (err as Error)?.name, code: (err as OAuthError)?.errorCode } },
      'MCP OAuth code exchange failed',
    );
    return fail(err instanceof OAuthError ? err.errorCode : 'exchange_failed');
  }
  await deps.db.transaction().execute((trx) =>
    storeTokens(deps, trx, {
      basis: {
        orgId: pending.org_id,
        serverId: pending.mcp_server_id,
        grantType: 'authorization_code',
        issuer: pending.issuer,
        clientId: pending.client_id,
        resource: pending.resource,
        metadata,
        requestedScopes: pending.scopes,
        connectedBy: pending.created_by,
      },
      tokens,
      actor,
      action: 'mcp.oauth.connect',
    }),
  );
  return { redirect: console('connected') };
}
