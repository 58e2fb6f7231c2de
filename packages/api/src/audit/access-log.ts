import type { Statement, Storage } from '@strongroom/db';
import type { AuditActor } from '../core/actor';
import { createBatcher } from '../core/batcher';
import { isUniqueViolation } from '../core/errors';
import type { AuditKeys } from './keys';
import { type AuditEvent, appendAuditRows, type ChainHead, chainLockKey, chainRows } from './service';

const MAX_BATCH = 500;
/** Chains whose head this process remembers; idle ones beyond this are forgotten. */
const MAX_CHAINS = 10_000;

/**
 * A group's rows in one statement, its own transaction: it takes the chain's advisory lock (the
 * one every writer of the chain takes), then inserts. $1 lock key, $2 org, then one array per
 * column, then $14 the audit key id.
 */
const APPEND: Statement = {
  name: 'strongroom_audit_append_v2',
  text: `
    insert into audit_log (org_id, seq, actor_type, actor_id, action, target_type, target_id, request_id,
      metadata, created_at, prev_hash, hash, key_id)
    select $2::uuid, r.seq, r.actor_type, r.actor_id, r.action, r.target_type, r.target_id, r.request_id,
      r.metadata::jsonb, r.created_at, r.prev_hash, r.hash, $14::text
    from (select pg_advisory_xact_lock(hashtextextended($1, 0))) as locked,
      unnest($3::int[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
        $11::timestamptz[], $12::text[], $13::text[])
      as r(seq, actor_type, actor_id, action, target_type, target_id, request_id, metadata, created_at, prev_hash, hash)`,
};

interface Pending {
  actor: AuditActor;
  event: AuditEvent;
}

/**
 * Audit rows for reads — reveals and runtime accesses — committed in groups: requests that arrive
 * while a group commits wait for the next one. A group is one statement, one round trip: it links
 * to the head this process last wrote and takes the chain's lock before inserting, so a writer
 * holding the lock (a change and its audit row, in their transaction) is never overtaken between
 * reading the head and inserting. If another writer or instance moved the head, the unique
 * (chain, seq) index refuses the whole statement; the group is then appended under the lock in a
 * transaction that reads the head (the slow path, which cannot conflict). A caller gets its
 * value only after its row has committed. A group that fails otherwise is retried member by
 * member, so one bad row fails its own read only.
 * @example await accessLog.record(auditActor(actor, requestId), { action: 'secret.access', targetId });
 */
export function createAccessLog(storage: Pick<Storage, 'db' | 'query'>, keys: Pick<AuditKeys, 'current'>) {
  /** The head this process last wrote, per chain, while it still knows it. */
  const heads = new Map<string, ChainHead>();

  async function appendLocked(chain: string, orgId: string | null, entries: readonly Pending[]) {
    heads.delete(chain);
    heads.set(chain, await storage.db.transaction().execute((trx) => appendAuditRows(trx, keys, orgId, entries)));
  }

  async function append(chain: string, orgId: string | null, entries: readonly Pending[]) {
    const key = keys.current;
    const head = heads.get(chain);
    // Before keying (a migration before it is blocked) there is no key_id column: the locked path only.
    if (!head || !key) return appendLocked(chain, orgId, entries);
    const rows = chainRows(key, head, orgId, entries);
    const column = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    try {
      await storage.query(APPEND, [
        chainLockKey(orgId),
        orgId,
        column('seq'),
        column('actor_type'),
        column('actor_id'),
        column('action'),
        column('target_type'),
        column('target_id'),
        column('request_id'),
        column('metadata'),
        column('created_at'),
        column('prev_hash'),
        column('hash'),
        key.id,
      ]);
    } catch (err) {
      heads.delete(chain);
      if (!isUniqueViolation(err)) throw err;
      return appendLocked(chain, orgId, entries);
    }
    const last = rows.at(-1)!;
    heads.set(chain, { seq: last.seq, hash: last.hash });
  }

  /** A group's rows; if the group fails, its members one by one, in order, so a row Postgres refuses fails its own read only. */
  const groups = createBatcher<Pending, Error | undefined>(
    async (chain, batch) => {
      const orgId = batch[0]!.actor.orgId;
      try {
        await append(chain, orgId, batch);
        return batch.map(() => undefined);
      } catch (err) {
        if (batch.length === 1) return [err as Error];
        const outcomes: (Error | undefined)[] = [];
        for (const p of batch)
          outcomes.push(
            await append(chain, orgId, [p]).then(
              () => undefined,
              (e: unknown) => e as Error,
            ),
          );
        return outcomes;
      }
    },
    {
      maxBatch: MAX_BATCH,
      onIdle: (chain) => {
        if (heads.size > MAX_CHAINS) heads.delete(chain);
      },
    },
  );

  return {
    async record(actor: AuditActor, event: AuditEvent): Promise<void> {
      const err = await groups.add(actor.orgId ?? '', { actor, event });
      if (err) throw err;
    },
  };
}

export type AccessLog = ReturnType<typeof createAccessLog>;
