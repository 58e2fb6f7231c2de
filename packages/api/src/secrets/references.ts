import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';
import { oauthSchemaReady } from '../mcp-oauth/schema-ready';
import type { UsedBy } from './schemas';

/**
 * The records that point at each secret (providers and MCP servers by `secret_ref`, MCP servers
 * by their OAuth client secret). A secret
 * with referrers cannot be deleted, and `usedBy` shows them.
 */
export async function referrersOf(
  db: Kysely<Database>,
  orgId: string,
  secretIds: readonly string[],
): Promise<Map<string, UsedBy[]>> {
  const out = new Map<string, UsedBy[]>(secretIds.map((id) => [id, []]));
  if (secretIds.length === 0) return out;
  const oauth = await oauthSchemaReady(db);
  const rows = await db
    .selectFrom('providers')
    .select(['secret_ref', 'id', 'name', (eb) => eb.val('provider').as('type')])
    .where('org_id', '=', orgId)
    .where('secret_ref', 'in', [...secretIds])
    .unionAll(
      db
        .selectFrom('mcp_servers')
        .select(['secret_ref', 'id', 'name', (eb) => eb.val('mcpServer').as('type')])
        .where('org_id', '=', orgId)
        .where('secret_ref', 'in', [...secretIds]),
    )
    .$if(oauth, (qb) =>
      qb.unionAll(
        db
          .selectFrom('mcp_servers')
          .select(['oauth_client_secret_ref as secret_ref', 'id', 'name', (eb) => eb.val('mcpServer').as('type')])
          .where('org_id', '=', orgId)
          .where('oauth_client_secret_ref', 'in', [...secretIds]),
      ),
    )
    .execute();
  for (const row of rows) {
    out.get(row.secret_ref!)?.push({ type: row.type as UsedBy['type'], id: row.id, name: row.name });
  }
  return out;
}
