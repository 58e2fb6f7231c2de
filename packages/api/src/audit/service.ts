import type { Database } from '@strongroom/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AuditActor } from '../core/actor';
import { publish } from '../core/event-hub';
import type { AuditAction } from './actions';
import { type ChainedFields, type ChainKey, chainHash, GENESIS_HASH } from './chain';
import { type AuditKeys, NO_ORG } from './keys';

/** One event to record; `metadata` holds ids, names and counts, never a value. */
export interface AuditEvent {
  action: AuditAction;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Appends one row to the org's keyed chain inside the caller's transaction, so the change and
 * its audit row commit or fail together. An advisory lock orders concurrent appends per org.
 * @example await appendAudit(trx, deps.auditKeys, auditActor(actor, requestId), { action: 'secret.create', targetId: id });
 */
export async function appendAudit(
  trx: Transaction<Database>,
  keys: Pick<AuditKeys, 'current'>,
  actor: AuditActor,
  event: AuditEvent,
): Promise<void> {
  await appendAuditRows(trx, keys, actor.orgId, [{ actor, event }]);
  // Every audited change may change who may resolve what: cached decisions of the org end on commit.
  if (actor.orgId) await publish(trx, { type: 'access.changed', orgId: actor.orgId });
}

/** The advisory lock that orders appends to one chain, on every instance. */
export const chainLockKey = (orgId: string | null) => `strongroom:audit:${orgId ?? NO_ORG}`;

/** The last row of a chain: what the next row links to. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Reads a chain's head (the genesis head for an empty chain). */
async function readChainHead(db: Kysely<Database>, orgId: string | null): Promise<ChainHead> {
  const chain = orgId ?? NO_ORG;
  const last = await db
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .where(sql<string>`coalesce(org_id, ${NO_ORG}::uuid)`, '=', chain)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last ?? { seq: 0, hash: GENESIS_HASH };
}

/** Rows that extend a chain from `head`, each MACing the one before under `key` (hashing, before keying). */
export function chainRows(
  key: ChainKey | null,
  head: ChainHead,
  orgId: string | null,
  entries: readonly { actor: AuditActor; event: AuditEvent }[],
) {
  let seq = head.seq;
  let prevHash = head.hash;
  return entries.map(({ actor, event }) => {
    const fields: ChainedFields = {
      org_id: orgId,
      seq: ++seq,
      actor_type: actor.actorType,
      actor_id: actor.actorId,
      action: event.action,
      target_type: event.targetType ?? null,
      target_id: event.targetId ?? null,
      request_id: actor.requestId,
      // The identity provider's iss/sub sit in the chained metadata, so they are tamper-evident too.
      metadata: actor.identity ? { ...event.metadata, actorIdentity: actor.identity } : (event.metadata ?? {}),
      created_at: new Date(),
    };
    const row = {
      ...fields,
      metadata: JSON.stringify(fields.metadata),
      prev_hash: prevHash,
      ...(key ? { key_id: key.id } : {}),
    };
    prevHash = chainHash(key, prevHash, fields);
    return { ...row, hash: prevHash };
  });
}

/** Appends rows, in order, to one chain (`orgId`, or the platform chain for null), under its lock; returns the new head. */
export async function appendAuditRows(
  trx: Transaction<Database>,
  keys: Pick<AuditKeys, 'current'>,
  orgId: string | null,
  entries: readonly { actor: AuditActor; event: AuditEvent }[],
): Promise<ChainHead> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${chainLockKey(orgId)}, 0))`.execute(trx);
  const rows = chainRows(keys.current, await readChainHead(trx, orgId), orgId, entries);
  await trx.insertInto('audit_log').values(rows).execute();
  const last = rows.at(-1)!;
  return { seq: last.seq, hash: last.hash };
}
