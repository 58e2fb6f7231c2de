import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { columnExists } from '@strongroom/db';
import { sql } from 'kysely';
import { systemActor } from '../core/actor';
import type { AppDeps } from '../app';
import { legacyTokenOf } from '../mcp-servers/credentials';
import { findSecret, insertSecret, listVersionRows, openSecret, sealSecret } from '../secrets/store';

type Deps = Pick<AppDeps, 'db' | 'envelope' | 'auditKeys'>;

export interface BackfillProgress {
  total: number;
  moved: number;
  skipped: number;
}

/** A readable secret name that is unique by construction (the server id's prefix). */
const secretName = (serverName: string, serverId: string) =>
  `mcp-${
    serverName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'server'
  }-${serverId.slice(0, 8)}`;

/**
 * Moves every legacy MCP token into an agent-scope secret in namespace `mcp` and points the server
 * at it: one transaction per server (lock, re-check, seal, insert, link, audit), so a run killed
 * half-way leaves every server either done or untouched, and a rerun finishes the rest with no
 * duplicates. The raw token stays until `verify` has confirmed it and the purge migration drops it.
 * @example await backfillMcpTokens(deps, { dryRun: false, onProgress: (p) => bar.update(p.moved) });
 */
export async function backfillMcpTokens(
  deps: Deps,
  options: { dryRun?: boolean; onProgress?: (p: BackfillProgress) => void } = {},
) {
  if (!(await columnExists(deps.db, 'mcp_servers', 'token')))
    return { total: 0, moved: 0, skipped: 0, dryRun: !!options.dryRun, servers: [] as string[] };
  const pending = await deps.db
    .selectFrom('mcp_servers')
    .select(['id', 'org_id', 'name'])
    .where(legacyTokenOf, 'is not', null)
    .where('secret_ref', 'is', null)
    .orderBy('id')
    .execute();
  const progress: BackfillProgress = { total: pending.length, moved: 0, skipped: 0 };
  options.onProgress?.({ ...progress });
  if (options.dryRun) return { ...progress, dryRun: true, servers: pending.map((s) => `${s.name} (${s.id})`) };

  for (const server of pending) {
    const moved = await deps.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ token: string | null; secret_ref: string | null }>`
        select ${legacyTokenOf} as token, secret_ref from mcp_servers where id = ${server.id} for update`.execute(trx);
      const row = rows[0];
      if (!row?.token || row.secret_ref) return false; // done meanwhile, or removed
      const secretId = randomUUID();
      const sealed = await sealSecret(deps, { orgId: server.org_id, secretId, version: 1 }, row.token);
      const name = secretName(server.name, server.id);
      await insertSecret(trx, deps.auditKeys, {
        sealed,
        fields: {
          namespace: 'mcp',
          name,
          scope: 'agent',
          description: `Bearer token of MCP server "${server.name}", moved from its legacy column`,
        },
        createdBy: null,
        audit: {
          by: systemActor(server.org_id),
          event: {
            action: 'backfill.mcp_token',
            targetType: 'mcpServer',
            targetId: server.id,
            metadata: { secretId, secretName: name },
          },
        },
      });
      await trx.updateTable('mcp_servers').set({ secret_ref: secretId }).where('id', '=', server.id).execute();
      return true;
    });
    if (moved) progress.moved++;
    else progress.skipped++;
    options.onProgress?.({ ...progress });
  }
  return { ...progress, dryRun: false, servers: pending.map((s) => `${s.name} (${s.id})`) };
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export interface VerifyReport {
  verified: number;
  problems: { serverId: string; name: string; problem: string }[];
}

/**
 * Checks every server still holding a legacy token: its secret must exist, its history must be
 * consistent with its version, and one of its versions must open to the same value as the token
 * (compared as SHA-256 digests; no value is printed). Verified servers are recorded, which is what
 * the purge migration waits for.
 */
export async function verifyMcpTokens(deps: Deps): Promise<VerifyReport> {
  const report: VerifyReport = { verified: 0, problems: [] };
  if (!(await columnExists(deps.db, 'mcp_servers', 'token'))) return report;
  const { rows } = await sql<{ id: string; org_id: string; name: string; token: string; secret_ref: string | null }>`
    select id, org_id, name, ${legacyTokenOf} as token, secret_ref from mcp_servers
    where ${legacyTokenOf} is not null order by name, id`.execute(deps.db);
  for (const server of rows) {
    const problem = (text: string) => report.problems.push({ serverId: server.id, name: server.name, problem: text });
    if (!server.secret_ref) {
      problem('no secret yet: run `strongroom backfill mcp-tokens`');
      continue;
    }
    const secret = await findSecret(deps.db, server.org_id, server.secret_ref, ['version']);
    const history = await listVersionRows(deps.db, server.secret_ref, ['version', 'value']);
    if (
      !secret ||
      history.length === 0 ||
      history[0]!.version !== secret.version ||
      history.length !== secret.version
    ) {
      problem('its secret is missing or its versions are inconsistent');
      continue;
    }
    const expected = digest(server.token);
    let matched = false;
    for (const version of history) {
      const value = await openSecret(
        deps,
        { orgId: server.org_id, secretId: server.secret_ref, version: version.version },
        version.value,
      );
      if (timingSafeEqual(digest(value), expected)) {
        matched = true;
        break;
      }
    }
    if (!matched) {
      problem('no version of its secret matches the legacy token');
      continue;
    }
    await sql`update mcp_servers set legacy_token_verified_at = now() where id = ${server.id}`.execute(deps.db);
    report.verified++;
  }
  return report;
}
