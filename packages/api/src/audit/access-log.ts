import type { Statement, Storage } from '@strongroom/db';
import type { AuditActor } from '../core/actor';
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
  done(err?: Error): void;
}

interface Chain {
  pending: Pending[];
  flushing: boolean;
  /** The head this process last wrote, if it still knows it. */
  head?: ChainHead | undefined;
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
  const chains = new Map<string, Chain>();

  async function appendLocked(chain: Chain, orgId: string | null, entries: readonly Pending[]) {
    chain.head = undefined;
    chain.head = await storage.db.transaction().execute((trx) => appendAuditRows(trx, keys, orgId, entries));
  }

  async function append(chain: Chain, orgId: string | null, entries: readonly Pending[]) {
    const key = keys.current;
    // Before keying (a migration before it is blocked) there is no key_id column: the locked path only.
    if (!chain.head || !key) return appendLocked(chain, orgId, entries);
    const rows = chainRows(key, chain.head, orgId, entries);
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
      chain.head = undefined;
      if (!isUniqueViolation(err)) throw err;
      return appendLocked(chain, orgId, entries);
    }
    const last = rows.at(-1)!;
    chain.head = { seq: last.seq, hash: last.hash };
  }

  async function flush(key: string, orgId: string | null) {
    const chain = chains.get(key);
    if (!chain || chain.flushing || chain.pending.length === 0) return;
    chain.flushing = true;
    const batch = chain.pending.splice(0, MAX_BATCH);
    try {
      await append(chain, orgId, batch);
      for (const p of batch) p.done();
    } catch (err) {
      if (batch.length === 1) batch[0]!.done(err as Error);
      // One by one, in order: a row Postgres refuses fails its own read, not its neighbours'.
      else
        for (const p of batch)
          await append(chain, orgId, [p]).then(
            () => p.done(),
            (e: unknown) => p.done(e as Error),
          );
    } finally {
      chain.flushing = false;
      if (chain.pending.length > 0) void flush(key, orgId);
      else if (chains.size > MAX_CHAINS) chains.delete(key);
    }
  }

  return {
    record(actor: AuditActor, event: AuditEvent): Promise<void> {
      const key = actor.orgId ?? '';
      let chain = chains.get(key);
      if (!chain) chains.set(key, (chain = { pending: [], flushing: false }));
      const recorded = new Promise<void>((resolve, reject) => {
        chain.pending.push({ actor, event, done: (err) => (err ? reject(err) : resolve()) });
      });
      // Let the requests of this turn join the group before it commits.
      if (!chain.flushing) setImmediate(() => void flush(key, actor.orgId));
      return recorded;
    },
  };
}

export type AccessLog = ReturnType<typeof createAccessLog>;
