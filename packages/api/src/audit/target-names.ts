import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Named = { id: string; name: string };
type Lookup = (db: Kysely<Database>, orgId: string, ids: string[]) => Promise<Named[]>;

/** How each kind of target is named today; rows of another org are never read. */
const LOOKUPS: Record<string, Lookup> = {
  secret: async (db, orgId, ids) =>
    (
      await db
        .selectFrom('secrets')
        .select(['id', 'name', 'namespace'])
        .where('org_id', '=', orgId)
        .where('id', 'in', ids)
        .execute()
    ).map((r) => ({ id: r.id, name: `${r.namespace}/${r.name}` })),
  provider: (db, orgId, ids) =>
    db.selectFrom('providers').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', ids).execute(),
  agent: (db, orgId, ids) =>
    db.selectFrom('agents').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', ids).execute(),
  mcpServer: (db, orgId, ids) =>
    db.selectFrom('mcp_servers').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', ids).execute(),
  group: (db, orgId, ids) =>
    db.selectFrom('groups').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', ids).execute(),
  token: (db, orgId, ids) =>
    db.selectFrom('api_tokens').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', ids).execute(),
  // A person named in this org's log keeps their email there after leaving the org.
  user: (db, _orgId, ids) => db.selectFrom('users').select(['id', 'email as name']).where('id', 'in', ids).execute(),
  org: (db, orgId, ids) =>
    db.selectFrom('orgs').select(['id', 'name']).where('id', '=', orgId).where('id', 'in', ids).execute(),
};

interface Row {
  target_type: string | null;
  target_id: string | null;
  metadata: Record<string, unknown>;
}

/**
 * The name each row's target has now (one query per kind of target on the page), else the name
 * its metadata recorded (a deleted row's), else null: the audit page shows names, not ids.
 * @example const nameOf = await targetNames(db, orgId, rows); nameOf(rows[0]);
 */
export async function targetNames(db: Kysely<Database>, orgId: string, rows: readonly Row[]) {
  const wanted = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!row.target_type || !row.target_id || !LOOKUPS[row.target_type] || !UUID.test(row.target_id)) continue;
    const ids = wanted.get(row.target_type) ?? new Set<string>();
    ids.add(row.target_id);
    wanted.set(row.target_type, ids);
  }
  const found = new Map<string, string>();
  await Promise.all(
    [...wanted].map(async ([type, ids]) => {
      for (const { id, name } of await LOOKUPS[type]!(db, orgId, [...ids])) found.set(`${type}:${id}`, name);
    }),
  );
  return (row: Row): string | null => {
    const current = found.get(`${row.target_type}:${row.target_id}`);
    if (current !== undefined) return current;
    const recorded = row.metadata.name ?? row.metadata.email;
    return typeof recorded === 'string' ? recorded : null;
  };
}
