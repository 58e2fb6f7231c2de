import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';
import type { AuditActor } from '../core/actor';
import { type AuditEvent, appendAuditRows } from './service';

const MAX_BATCH = 500;

interface Pending {
  actor: AuditActor;
  event: AuditEvent;
  done(err?: unknown): void;
}

/**
 * Audit rows for reads — reveals and runtime accesses — committed in groups: requests that arrive
 * while a group commits wait for the next one, so one short transaction (the chain's lock, its
 * head, one multi-row INSERT) records many reads instead of each read queueing on the lock. (An
 * unlocked insert from a cached head was tried: a locked writer could then read a head that was
 * no longer the head, and fail.) A caller gets its value only after its row has committed; if the
 * group fails, every read in it fails.
 * @example await accessLog.record(auditActor(actor, requestId), { action: 'secret.access', targetId });
 */
export function createAccessLog(db: Kysely<Database>) {
  const queues = new Map<string, { pending: Pending[]; flushing: boolean }>();

  async function flush(chain: string, orgId: string | null) {
    const queue = queues.get(chain);
    if (!queue || queue.flushing || queue.pending.length === 0) return;
    queue.flushing = true;
    const batch = queue.pending.splice(0, MAX_BATCH);
    try {
      await db.transaction().execute((trx) => appendAuditRows(trx, orgId, batch));
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
