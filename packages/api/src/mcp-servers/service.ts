import type { Database } from '@strongroom/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { AppError, badInput, notFound } from '../core/errors';
import { iso, isoOrNull } from '../core/schemas';
import { countRevealUse } from '../secrets/reveal-limit';
import { publish } from '../core/event-hub';
import { oauthView, recordInsufficientScope, splitScopes } from '../mcp-oauth/connection';
import { oauthSchemaReady, requireOAuthSchema } from '../mcp-oauth/schema-ready';
import { resolveOAuthToken } from '../mcp-oauth/tokens';
import { findSecret, openSecret } from '../secrets/store';
import { legacyTokenOf, mcpCredential } from './credentials';
import { mcpAllowlist, requireAllowedUrl } from './destination';
import { probeMcpServer, type ProbeResult } from './probe';
import type { createMcpServerInput, McpServer, updateMcpServerInput, validateInput } from './schemas';
import { lockOrgRow } from '../core/org-rows';

/** Servers with their OAuth settings and connection (once the OAuth migration has run). */
async function serversQuery(db: Kysely<Database>, orgId: string) {
  const oauth = await oauthSchemaReady(db);
  return db
    .selectFrom('mcp_servers')
    .select([
      'mcp_servers.id',
      'mcp_servers.org_id',
      'mcp_servers.name',
      'mcp_servers.url',
      'mcp_servers.secret_ref',
      'mcp_servers.tools',
      'mcp_servers.last_validated_at',
      'mcp_servers.created_at',
      'mcp_servers.updated_at',
      sql<boolean>`${legacyTokenOf} is not null`.as('has_legacy_token'),
    ])
    .$if(oauth, (qb) =>
      qb
        .leftJoin('mcp_oauth_connections as c', 'c.mcp_server_id', 'mcp_servers.id')
        .select([
          'mcp_servers.auth',
          'mcp_servers.oauth_scopes',
          'mcp_servers.oauth_client_id',
          'mcp_servers.oauth_client_secret_ref',
          'mcp_servers.oauth_grant',
          'c.status',
          'c.issuer',
          'c.scopes',
          'c.expires_at',
          'c.connected_at',
          'c.connected_by',
          'c.failure',
        ]),
    )
    .where('mcp_servers.org_id', '=', orgId);
}

type ServerRow = Awaited<ReturnType<Awaited<ReturnType<typeof serversQuery>>['executeTakeFirstOrThrow']>>;

function toServer(row: ServerRow): McpServer {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    url: row.url,
    secretRef: row.secret_ref,
    hasLegacyToken: row.has_legacy_token,
    auth: row.auth ?? 'bearer',
    oauth:
      row.auth === 'oauth'
        ? {
            ...oauthView(
              row.status && row.issuer && row.connected_at
                ? {
                    status: row.status,
                    issuer: row.issuer,
                    scopes: row.scopes ?? '',
                    expires_at: row.expires_at ?? null,
                    connected_at: row.connected_at,
                    connected_by: row.connected_by ?? null,
                    failure: row.failure ?? null,
                  }
                : null,
            ),
            requestedScopes: row.oauth_scopes ? splitScopes(row.oauth_scopes) : null,
            clientId: row.oauth_client_id ?? null,
            clientSecretRef: row.oauth_client_secret_ref ?? null,
            grantType: row.oauth_grant ?? 'authorization_code',
          }
        : null,
    tools: row.tools,
    lastValidatedAt: isoOrNull(row.last_validated_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

async function loadServer(db: Kysely<Database>, orgId: string, id: string) {
  const row = await (await serversQuery(db, orgId)).where('mcp_servers.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('MCP server');
  return toServer(row);
}

/** The token's secret must be the org's; a foreign id reads as a missing one. */
async function requireSecret(db: Kysely<Database>, orgId: string, secretRef: string, field = 'secretRef') {
  if (!(await findSecret(db, orgId, secretRef, ['id'])))
    throw badInput(field, `${field} does not name a secret of this org`);
}

type OAuthInput = z.output<typeof createMcpServerInput>['oauth'];

/** The mcp_servers columns for OAuth settings (or for none, when switching back to a bearer token). */
function oauthColumns(oauth: OAuthInput | null) {
  return {
    auth: oauth ? ('oauth' as const) : ('bearer' as const),
    oauth_scopes: oauth?.scopes ? oauth.scopes.join(' ') : null,
    oauth_client_id: oauth?.clientId ?? null,
    oauth_client_secret_ref: oauth?.clientSecretRef ?? null,
    oauth_grant: oauth ? (oauth.grantType ?? 'authorization_code') : null,
  };
}

/** The connection was made for another URL or setting: its tokens go, and runtimes are told. */
async function dropConnection(trx: Transaction<Database>, orgId: string, id: string) {
  const deleted = await trx
    .deleteFrom('mcp_oauth_connections')
    .where('mcp_server_id', '=', id)
    .returning('version')
    .executeTakeFirst();
  await trx.deleteFrom('mcp_oauth_pending').where('mcp_server_id', '=', id).execute();
  if (deleted) await publish(trx, { type: 'secret.deleted', orgId, id, version: deleted.version + 1 });
  return !!deleted;
}

export async function listMcpServers(call: Call): Promise<McpServer[]> {
  const rows = await (await serversQuery(call.deps.db, call.actor.orgId)).orderBy('name').orderBy('id').execute();
  return rows.map(toServer);
}

export const getMcpServer = (call: Call, id: string) => loadServer(call.deps.db, call.actor.orgId, id);

/** @example await createMcpServer(ctx, { name: 'Tools', url: 'https://mcp.example.com/mcp', secretRef }) */
export async function createMcpServer(call: Call, input: z.output<typeof createMcpServerInput>): Promise<McpServer> {
  const { actor } = call;
  await requireAllowedUrl(call.deps.config, input.url);
  if (input.oauth) await requireOAuthSchema(call.deps.db);
  return call.deps.db.transaction().execute(async (trx) => {
    if (input.secretRef) await requireSecret(trx, actor.orgId, input.secretRef);
    if (input.oauth?.clientSecretRef)
      await requireSecret(trx, actor.orgId, input.oauth.clientSecretRef, 'oauth.clientSecretRef');
    const row = await trx
      .insertInto('mcp_servers')
      .values({
        org_id: actor.orgId,
        name: input.name,
        url: input.url,
        secret_ref: input.secretRef ?? null,
        ...(input.oauth ? oauthColumns(input.oauth) : {}),
        created_by: actor.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'mcp.create',
      targetType: 'mcpServer',
      targetId: row.id,
      metadata: {
        name: input.name,
        host: new URL(input.url).host,
        secretRef: input.secretRef ?? null,
        auth: input.oauth ? 'oauth' : 'bearer',
      },
    });
    // Read inside the transaction, so the answer cannot fail after the change committed.
    return loadServer(trx, actor.orgId, row.id);
  });
}

/** Setting a secret reference retires the legacy raw token: the admin has replaced the credential. */
async function clearLegacyToken(trx: Transaction<Database>, id: string) {
  const { rows } = await sql<{
    has: boolean;
  }>`select ${legacyTokenOf} is not null as has from mcp_servers where id = ${id}`.execute(trx);
  if (rows[0]?.has) await sql`update mcp_servers set token = null where id = ${id}`.execute(trx);
  return rows[0]?.has ?? false;
}

export async function updateMcpServer(call: Call, input: z.output<typeof updateMcpServerInput>): Promise<McpServer> {
  const { actor } = call;
  if (input.url !== undefined) await requireAllowedUrl(call.deps.config, input.url);
  if (input.oauth) await requireOAuthSchema(call.deps.db);
  return call.deps.db.transaction().execute(async (trx) => {
    // Asked inside the transaction: a write reads nothing outside it (see test/post-commit.test.ts).
    const oauthReady = await oauthSchemaReady(trx);
    const current = await trx
      .selectFrom('mcp_servers')
      .select(['id', 'url', sql<string | null>`to_jsonb(mcp_servers) ->> 'oauth_client_id'`.as('oauth_client_id')])
      .where('id', '=', input.id)
      .where('org_id', '=', actor.orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw notFound('MCP server');
    if (input.secretRef) await requireSecret(trx, actor.orgId, input.secretRef);
    if (input.oauth?.clientSecretRef)
      await requireSecret(trx, actor.orgId, input.oauth.clientSecretRef, 'oauth.clientSecretRef');
    const toBearer = input.oauth === null || (input.secretRef && input.oauth === undefined);
    await trx
      .updateTable('mcp_servers')
      .set({
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.url === undefined ? {} : { url: input.url, tools: null, last_validated_at: null }),
        ...(input.secretRef === undefined ? {} : { secret_ref: input.secretRef }),
        ...(input.oauth ? { ...oauthColumns(input.oauth), secret_ref: null } : {}),
        ...(toBearer && oauthReady ? oauthColumns(null) : {}),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', input.id)
      .execute();
    // Tokens belong to one resource and client: a new URL, client or switch to a bearer token ends them.
    const endsConnection =
      toBearer ||
      (input.url !== undefined && input.url !== current.url) ||
      (input.oauth && (input.oauth.clientId ?? null) !== current.oauth_client_id);
    const disconnected = endsConnection && oauthReady ? await dropConnection(trx, actor.orgId, input.id) : false;
    const retiredLegacyToken = input.secretRef || input.oauth ? await clearLegacyToken(trx, input.id) : false;
    const changed = (['name', 'url', 'secretRef', 'oauth'] as const).filter((k) => input[k] !== undefined);
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'mcp.update',
      targetType: 'mcpServer',
      targetId: input.id,
      metadata: { changed, retiredLegacyToken, disconnected },
    });
    return loadServer(trx, actor.orgId, input.id);
  });
}

/** Deletes the server and detaches it from the agents that used it. */
export async function deleteMcpServer(call: Call, id: string): Promise<{ id: string }> {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    const row = await lockOrgRow(trx, 'mcp_servers', actor.orgId, id, 'MCP server');
    await trx.deleteFrom('mcp_servers').where('id', '=', id).execute();
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'mcp.delete',
      targetType: 'mcpServer',
      targetId: id,
      metadata: { name: row.name },
    });
    return { id };
  });
}

/**
 * Resolves the credential server side, connects with the MCP SDK and lists the tools; for a
 * stored server, records them and when. Failures are answers (`ok: false`), not errors. Sending a
 * secret's value to a URL is a use of that secret, as a reveal is: it counts against the caller's
 * reveal limit and is audited (`secret.use`: secret id and destination host) before it is sent.
 */
export async function validateMcpServer(call: Call, input: z.output<typeof validateInput>): Promise<ProbeResult> {
  const { deps, actor } = call;
  const { config } = deps;
  const options = {
    allow: mcpAllowlist(config),
    connectTimeoutMs: config.mcpConnectTimeoutMs,
    requestTimeoutMs: config.mcpRequestTimeoutMs,
  };
  let url: string;
  let token: string | null;
  let secret: { id: string; version: number } | null = null;
  let oauthServer = false;
  if (input.id) {
    const server = await loadServer(deps.db, actor.orgId, input.id);
    url = server.url;
    oauthServer = server.auth === 'oauth';
    if (oauthServer) {
      const resolved = await oauthTokenForValidation(call, input.id);
      if (!resolved.ok) return recordValidation(call, input.id, url, resolved);
      token = resolved.token;
    } else {
      const credential = await mcpCredential(deps, actor.orgId, input.id);
      token = credential.token;
      if (credential.secretId) secret = { id: credential.secretId, version: credential.version };
    }
  } else {
    url = input.url!;
    token = null;
    if (input.secretRef) {
      const row = await findSecret(deps.db, actor.orgId, input.secretRef, ['version', 'value']);
      if (!row?.value) throw badInput('secretRef', 'secretRef does not name a secret of this org');
      token = await openSecret(
        deps,
        { orgId: actor.orgId, secretId: input.secretRef, version: row.version },
        row.value,
      );
      secret = { id: input.secretRef, version: row.version };
    }
  }
  const host = new URL(url).host;
  if (secret) {
    await countRevealUse(deps, actor);
    await deps.accessLog.record(auditActor(actor, call.requestId), {
      action: 'secret.use',
      targetType: 'secret',
      targetId: secret.id,
      metadata: {
        secretId: secret.id,
        version: secret.version,
        host,
        via: 'mcp.validate',
        mcpServerId: input.id ?? null,
      },
    });
  }
  const challenge: { scope?: string } = {};
  let result = await probeMcpServer(url, token, { ...options, onForbidden: (c) => Object.assign(challenge, c) });
  if (oauthServer && !result.ok && challenge.scope !== undefined) {
    await recordInsufficientScope(deps.db, actor.orgId, input.id!, splitScopes(challenge.scope));
    result = {
      ok: false,
      error: {
        code: 'INSUFFICIENT_SCOPE',
        message: `${host} needs more scopes (${challenge.scope}); press Connect to grant them`,
      },
    };
  }
  return recordValidation(call, input.id, url, result, secret?.id ?? null);
}

/** The OAuth access token to validate with, or why there is none (as a validation answer). */
async function oauthTokenForValidation(
  call: Call,
  id: string,
): Promise<{ ok: true; token: string } | Extract<ProbeResult, { ok: false }>> {
  try {
    const { value } = await resolveOAuthToken(call.deps, auditActor(call.actor, call.requestId), call.actor.orgId, id);
    return { ok: true, token: value };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const code =
      err.reason === 'MCP_REAUTH_REQUIRED'
        ? 'NEEDS_REAUTH'
        : err.reason === 'MCP_NOT_CONNECTED'
          ? 'NOT_CONNECTED'
          : err.reason === 'MCP_OAUTH_UNAVAILABLE'
            ? 'OAUTH_UNAVAILABLE'
            : undefined;
    if (!code) throw err;
    return { ok: false, error: { code, message: err.message } };
  }
}

/** Stores the tools a stored server offered, and audits the validation. */
async function recordValidation(
  call: Call,
  id: string | undefined,
  url: string,
  result: ProbeResult,
  secretId: string | null = null,
) {
  const { deps, actor } = call;
  const host = new URL(url).host;
  await deps.db.transaction().execute(async (trx) => {
    if (id && result.ok) {
      await trx
        .updateTable('mcp_servers')
        .set({ tools: JSON.stringify(result.tools), last_validated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute();
    }
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'mcp.validate',
      targetType: 'mcpServer',
      ...(id ? { targetId: id } : {}),
      metadata: {
        host,
        secretId,
        ok: result.ok,
        ...(result.ok ? { tools: result.tools.length } : { error: result.error.code }),
      },
    });
  });
  return result;
}
