import { type Kysely, sql } from 'kysely';

/**
 * Whether a column exists in the current schema. Code that must run both before and after a
 * migration that drops legacy columns asks this instead of failing on a missing column.
 * @example if (await columnExists(db, 'mcp_servers', 'token')) { ... }
 */
export async function columnExists(db: Kysely<any>, table: string, column: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from information_schema.columns
    where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`.execute(db);
  return rows[0]!.n > 0;
}
