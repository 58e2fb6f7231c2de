import type { Database } from '@strongroom/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { badInput, notFound } from '../core/errors';
import { iso, isoOrNull } from '../core/schemas';
import { countRevealUse } from '../secrets/reveal-limit';
import { openSecretValue, secretContext } from '../secrets/sealing';
import { legacyTokenOf, mcpCredential } from './credentials';
import { mcpAllowlist, requireAllowedUrl } from './destination';
import { probeMcpServer, type ProbeResult } from './probe';
import type { createMcpServerInput, McpServer, updateMcpServerInput, validateInput } from './schemas';

function serversQuery(db: Kysely<Database>, orgId: string) {
  return db
    .selectFrom('mcp_servers')
    .select([
      'id',
      'org_id',
      'name',
      'url',
      'secret_ref',
      'tools',
      'last_validated_at',
      'created_at',
      'updated_at',
      sql<boolean>`${legacyTokenOf} is not null`.as('has_legacy_token'),
    ])
    .where('org_id', '=', orgId);
}

type ServerRow = Awaited<ReturnType<ReturnType<typeof serversQuery>['executeTakeFirstOrThrow']>>;

function toServer(row: ServerRow): McpServer {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    url: row.url,
    secretRef: row.secret_ref,
    hasLegacyToken: row.has_legacy_token,
    tools: row.tools,
    lastValidatedAt: isoOrNull(row.last_validated_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

async function loadServer(db: Kysely<Database>, orgId: string, id: string) {
  const row = await serversQuery(db, orgId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('MCP server');
  return toServer(row);
}

/** The token's secret must be the org's; a foreign id reads as a missing one. */
async function requireSecret(db: Kysely<Database>, orgId: string, secretRef: string) {
  const found = await db
    .selectFrom('secrets')
    .select('id')
    .where('id', '=', secretRef)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (!found) throw badInput('secretRef', 'secretRef does not name a secret of this org');
}

export async function listMcpServers(call: Call): Promise<McpServer[]> {
  const rows = await serversQuery(call.deps.db, call.actor.orgId).orderBy('name').orderBy('id').execute();
  return rows.map(toServer);
}

export const getMcpServer = (call: Call, id: string) => loadServer(call.deps.db, call.actor.orgId, id);

/** @example await createMcpServer(ctx, { name: 'Tools', url: 'https://mcp.example.com/mcp', secretRef }) */
export async function createMcpServer(call: Call, input: z.output<typeof createMcpServerInput>): Promise<McpServer> {
  const { actor } = call;
  await requireAllowedUrl(call.deps.config, input.url);
  return call.deps.db.transaction().execute(async (trx) => {
    if (input.secretRef) await requireSecret(trx, actor.orgId, input.secretRef);
    const row = await trx
      .insertInto('mcp_servers')
      .values({
        org_id: actor.orgId,
        name: input.name,
        url: input.url,
        secret_ref: input.secretRef ?? null,
        created_by: actor.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'mcp.create',
      targetType: 'mcpServer',
      targetId: row.id,
      metadata: { name: input.name, host: new URL(input.url).host, secretRef: input.secretRef ?? null },
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
  return call.deps.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('mcp_servers')
      .select('id')
      .where('id', '=', input.id)
      .where('org_id', '=', actor.orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw notFound('MCP server');
    if (input.secretRef) await requireSecret(trx, actor.orgId, input.secretRef);
    await trx
      .updateTable('mcp_servers')
      .set({
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.url === undefined ? {} : { url: input.url, tools: null, last_validated_at: null }),
        ...(input.secretRef === undefined ? {} : { secret_ref: input.secretRef }),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', input.id)
      .execute();
    const retiredLegacyToken = input.secretRef ? await clearLegacyToken(trx, input.id) : false;
    const changed = (['name', 'url', 'secretRef'] as const).filter((k) => input[k] !== undefined);
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'mcp.update',
      targetType: 'mcpServer',
      targetId: input.id,
      metadata: { changed, retiredLegacyToken },
    });
    return loadServer(trx, actor.orgId, input.id);
  });
}

/** Deletes the server and detaches it from the agents that used it. */
export async function deleteMcpServer(call: Call, id: string): Promise<{ id: string }> {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('mcp_servers')
      .select(['id', 'name'])
      .where('id', '=', id)
      .where('org_id', '=', actor.orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('MCP server');
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
  if (input.id) {
    const server = await loadServer(deps.db, actor.orgId, input.id);
    url = server.url;
    const credential = await mcpCredential(deps, actor.orgId, input.id);
    token = credential.token;
    if (credential.secretId) secret = { id: credential.secretId, version: credential.version };
  } else {
    url = input.url!;
    token = null;
    if (input.secretRef) {
      const row = await deps.db
        .selectFrom('secrets')
        .select(['version', 'value'])
        .where('id', '=', input.secretRef)
        .where('org_id', '=', actor.orgId)
        .executeTakeFirst();
      if (!row?.value) throw badInput('secretRef', 'secretRef does not name a secret of this org');
      token = await openSecretValue(deps, secretContext(actor.orgId, input.secretRef, row.version), row.value);
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
  const result = await probeMcpServer(url, token, options);
  await deps.db.transaction().execute(async (trx) => {
    if (input.id && result.ok) {
      await trx
        .updateTable('mcp_servers')
        .set({ tools: JSON.stringify(result.tools), last_validated_at: sql<Date>`now()` })
        .where('id', '=', input.id)
        .execute();
    }
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'mcp.validate',
      targetType: 'mcpServer',
      ...(input.id ? { targetId: input.id } : {}),
      metadata: {
        host,
        secretId: secret?.id ?? null,
        ok: result.ok,
        ...(result.ok ? { tools: result.tools.length } : { error: result.error.code }),
      },
    });
  });
  return result;
}
