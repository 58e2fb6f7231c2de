import type { Statement, Storage } from '@strongroom/db';
import type { AuditActor } from '../core/actor';
import { createBatcher } from '../core/batcher';
import { isUndefinedFunction } from '../core/errors';
import type { AuditKeys } from './keys';
import { type AuditEvent, appendAuditRows, type ChainHead, chainLockKey, chainRows } from './service';

const MAX_BATCH = 500;
/** Chains whose head this process remembers; idle ones beyond this are forgotten. */
const MAX_CHAINS = 10_000;

/** How often a group is MACed again from a moved head before it appends under the lock in a transaction. */
const MAX_MOVES = 3;

/**
 * A group's rows in one statement, its own transaction (see the migration that creates the
 * function): written only if the chain's head is still $3/$4, else nothing is written and the
 * current head comes back. $1 lock key, $2 org, $5 the audit key id, then one array per column.
 */
const APPEND_AT_HEAD: Statement = {
  name: 'strongroom_audit_append_at_head_v1',
  text: `select head_seq, head_hash
    from audit_append_at_head($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
};

interface Pending {
  actor: AuditActor;
  event: AuditEvent;
}

/**
 * Audit rows for reads — reveals and runtime accesses — committed in groups: requests that arrive
 * while a group commits wait for the next one. A group is one statement, one round trip: MACed
 * from the head this process last wrote, it is written only if that is still the chain's head,
 * checked under the chain's lock (the one every writer takes), so a writer holding the lock (a
 * change and its audit row, in their transaction) is never overtaken. If another writer or
 * instance moved the head, nothing is written and the statement answers the new head: the group
 * is MACed again from it and sent again, and after a few such moves it is appended under the lock
 * in a transaction that reads the head (which cannot miss). A caller gets its value only after
 * its row has committed. A group that fails otherwise is retried member by member, so one bad row
 * fails its own read only.
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
    // Before keying (a migration before it is blocked) there is no key_id column: the locked path only.
    if (!key) return appendLocked(chain, orgId, entries);
    // An unknown head never matches: the first call only reads it.
    let head = heads.get(chain) ?? { seq: -1, hash: '' };
    for (let move = 0; move <= MAX_MOVES; move++) {
      const rows = head.seq < 0 ? [] : chainRows(key, head, orgId, entries);
      const column = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
      let moved: { head_seq: number; head_hash: string } | undefined;
      try {
        [moved] = await storage.query<{ head_seq: number; head_hash: string }>(APPEND_AT_HEAD, [
          chainLockKey(orgId),
          orgId,
          head.seq,
          head.hash,
          key.id,
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
        ]);
      } catch (err) {
        heads.delete(chain);
        // A server still on the schema before the function's migration (blocked behind a backfill).
        if (isUndefinedFunction(err)) return appendLocked(chain, orgId, entries);
        throw err;
      }
      if (!moved) {
        const last = rows.at(-1)!;
        heads.set(chain, { seq: last.seq, hash: last.hash });
        return;
      }
      head = { seq: moved.head_seq, hash: moved.head_hash };
    }
    return appendLocked(chain, orgId, entries);
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
