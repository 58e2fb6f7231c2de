import type { Database } from '@strongroom/db';
import type { Selectable, Transaction } from 'kysely';
import { notFound } from './errors';

/** The tables whose rows belong to one org and are named by an id. */
type OrgTable = {
  [T in keyof Database]: Database[T] extends { id: unknown; org_id: unknown } ? T : never;
}[keyof Database];

/**
 * The org's row with this id, locked until the transaction ends, so a concurrent change of it
 * waits; another org's id is NOT_FOUND exactly as a missing one is, so ids cannot be probed.
 * @example const row = await lockOrgRow(trx, 'groups', orgId, id, 'Group');
 */
export async function lockOrgRow<T extends OrgTable>(
  trx: Transaction<Database>,
  table: T,
  orgId: string,
  id: string,
  what: string,
): Promise<Selectable<Database[T]>> {
  // One shape for every such table: Kysely cannot resolve `id` and `org_id` on a generic table name.
  const db = trx as unknown as Transaction<Record<OrgTable, { id: string; org_id: string }>>;
  const name: OrgTable = table;
  const row = await db
    .selectFrom(name)
    .selectAll()
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(what);
  return row as Selectable<Database[T]>;
}
