import type { Database } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import type { AppDeps } from '../app';
import { openSecret } from '../secrets/store';

/**
 * The legacy raw `token` column exists until the purge migration drops it. Reading it through
 * `to_jsonb(row)` works before and after: after, the key is simply absent.
 */
export const legacyTokenOf = sql<string | null>`to_jsonb(mcp_servers) ->> 'token'`;

export interface McpCredential {
  token: string | null;
  source: 'secret' | 'legacy' | 'none';
  secretId: string | null;
  version: number;
}

/**
 * Dual read of an MCP server's bearer token: its secret reference first, the legacy raw token as
 * a fallback (logged with the server id, never the token), else none.
 * @example const { token } = await mcpCredential(deps, orgId, serverId);
 */
export async function mcpCredential(
  deps: Pick<AppDeps, 'db' | 'envelope' | 'log'>,
  orgId: string,
  serverId: string,
  db: Kysely<Database> = deps.db,
): Promise<McpCredential> {
  const row = await db
    .selectFrom('mcp_servers')
    .leftJoin('secrets', 'secrets.id', 'mcp_servers.secret_ref')
    .select(['mcp_servers.secret_ref', 'secrets.version', 'secrets.value', legacyTokenOf.as('legacy_token')])
    .where('mcp_servers.id', '=', serverId)
    .where('mcp_servers.org_id', '=', orgId)
    .executeTakeFirst();
  if (row?.secret_ref && row.value && row.version) {
    const token = await openSecret(deps, { orgId, secretId: row.secret_ref, version: row.version }, row.value);
    return { token, source: 'secret', secretId: row.secret_ref, version: row.version };
  }
  if (row?.legacy_token) {
    deps.log.warn(
      { mcpServerId: serverId },
      'MCP server still uses its legacy raw token; run `strongroom backfill mcp-tokens`',
    );
    return { token: row.legacy_token, source: 'legacy', secretId: null, version: 0 };
  }
  return { token: null, source: 'none', secretId: null, version: 0 };
}
