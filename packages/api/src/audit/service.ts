import type { Database } from '@strongroom/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AuditActor } from '../core/actor';
import type { AuditAction } from './actions';
import { type ChainedFields, GENESIS_HASH, rowHash } from './chain';

/** One event to record; `metadata` holds ids, names and counts, never a value. */
export interface AuditEvent {
  action: AuditAction;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, unknown>;
}

const NO_ORG = '00000000-0000-0000-0000-000000000000';

/**
 * Appends one row to the org's hash chain inside the caller's transaction, so the change and
 * its audit row commit or fail together. An advisory lock orders concurrent appends per org.
 * @example await appendAudit(trx, auditActor(actor, requestId), { action: 'secret.create', targetId: id });
 */
export async function appendAudit(trx: Transaction<Database>, actor: AuditActor, event: AuditEvent): Promise<void> {
  const chain = actor.orgId ?? NO_ORG;
  await sql`select pg_advisory_xact_lock(hashtextextended(${`strongroom:audit:${chain}`}, 0))`.execute(trx);
  const last = await trx
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .where(sql<string>`coalesce(org_id, ${NO_ORG}::uuid)`, '=', chain)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const fields: ChainedFields = {
    org_id: actor.orgId,
    seq: (last?.seq ?? 0) + 1,
    actor_type: actor.actorType,
    actor_id: actor.actorId,
    action: event.action,
    target_type: event.targetType ?? null,
    target_id: event.targetId ?? null,
    request_id: actor.requestId,
    metadata: event.metadata ?? {},
    created_at: new Date(),
    prev_hash: last?.hash ?? GENESIS_HASH,
  };
  await trx
    .insertInto('audit_log')
    .values({ ...fields, metadata: JSON.stringify(fields.metadata), hash: rowHash(fields) })
    .execute();
}

/** Walks an org's chain in order; the first row whose hash, link or sequence is wrong is broken. */
export async function verifyChain(
  db: Kysely<Database>,
  orgId: string,
): Promise<{ ok: boolean; checked: number; firstBrokenId?: string }> {
  const pageSize = 1000;
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      const { id, hash, ...fields } = row;
      if (row.seq !== expectedSeq || row.prev_hash !== prevHash || rowHash(fields) !== hash) {
        return { ok: false, checked, firstBrokenId: id };
      }
      checked++;
      expectedSeq++;
      prevHash = hash;
    }
    if (rows.length < pageSize) return { ok: true, checked };
  }
}
