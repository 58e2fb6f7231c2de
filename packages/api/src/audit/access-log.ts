import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';
import type { AuditActor } from '../core/actor';
import { isUniqueViolation } from '../core/errors';
import { type AuditEvent, type ChainHead, chainRows, readChainHead } from './service';

const MAX_BATCH = 500;
const MAX_ATTEMPTS = 5;

interface Pending {
  actor: AuditActor;
  event: AuditEvent;
  done(err?: unknown): void;
}

/**
 * Audit rows for reads — reveals and runtime accesses — committed in groups: requests that arrive
 * while a group commits wait for the next one. A group is one multi-row INSERT that extends the
 * chain from the head this process last wrote; the unique (chain, seq) index makes that safe
 * without a lock — if another writer got there first, the insert fails whole, the head is re-read
 * and the group rebuilt. A caller gets its value only after its row has committed; if the group
 * fails, every read in it fails.
 * @example await accessLog.record(auditActor(actor, requestId), { action: 'secret.access', targetId });
 */
export function createAccessLog(db: Kysely<Database>) {
  const queues = new Map<string, { pending: Pending[]; flushing: boolean }>();
  const heads = new Map<string, ChainHead>();

  async function insertGroup(chain: string, orgId: string | null, batch: Pending[]) {
    for (let attempt = 1; ; attempt++) {
      const head = heads.get(chain) ?? (await readChainHead(db, orgId));
      const rows = chainRows(head, orgId, batch);
      try {
        await db.insertInto('audit_log').values(rows).execute();
        const last = rows.at(-1)!;
        heads.set(chain, { seq: last.seq, hash: last.hash });
        return;
      } catch (err) {
        heads.delete(chain);
        if (!isUniqueViolation(err) || attempt === MAX_ATTEMPTS) throw err;
      }
    }
  }

  async function flush(chain: string, orgId: string | null) {
    const queue = queues.get(chain);
    if (!queue || queue.flushing || queue.pending.length === 0) return;
    queue.flushing = true;
    const batch = queue.pending.splice(0, MAX_BATCH);
    try {
      await insertGroup(chain, orgId, batch);
      for (const p of batch) p.done();
    } catch (err) {
      for (const p of batch) p.done(err);
    } finally {
      queue.flushing = false;
      if (queue.pending.length > 0) void flush(chain, orgId);
      else queues.delete(chain);
    }
  }

  return {
    record(actor: AuditActor, event: AuditEvent): Promise<void> {
      const chain = actor.orgId ?? '';
      let queue = queues.get(chain);
      if (!queue) {
        queue = { pending: [], flushing: false };
        queues.set(chain, queue);
      }
      const recorded = new Promise<void>((resolve, reject) => {
        queue.pending.push({ actor, event, done: (err) => (err ? reject(err) : resolve()) });
      });
      // Let the requests of this turn join the group before it commits.
      if (!queue.flushing) setImmediate(() => void flush(chain, actor.orgId));
      return recorded;
    },
  };
}

export type AccessLog = ReturnType<typeof createAccessLog>;
