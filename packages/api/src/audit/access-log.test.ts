import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditActor } from '../core/actor';
import { createTestApp, type TestApp } from '../../test/support/harness';
import { createAccessLog } from './access-log';
import { verifyChain } from './verify';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

const worker = (orgId: string, n: number): AuditActor => ({
  orgId,
  actorType: 'worker',
  actorId: null,
  requestId: `req-${n}`,
});

const access = (targetId: string, runId: string) =>
  ({ action: 'secret.access', targetType: 'secret', targetId, metadata: { runId } }) as const;

const rowsFor = (prefix: string) =>
  app.deps.db.selectFrom('audit_log').select('target_id').where('target_id', 'like', `${prefix}%`).execute();

describe('read-audit group commit', () => {
  it('a member Postgres refuses fails alone; the rest of its group commits, in one valid chain', async () => {
    const orgId = app.orgA.orgId;
    const log = createAccessLog(app.deps.storage, app.deps.auditKeys);
    // The first group learns the chain's head; the next one is a single statement from it.
    await log.record(worker(orgId, 0), access('group-warm', 'run-0'));
    const results = await Promise.allSettled(
      // A NUL in jsonb is refused by Postgres (inputs reject it earlier; this is the net under that).
      [1, 2, 3, 4, 5].map((n) =>
        log.record(worker(orgId, n), access(`group-${n}`, n === 3 ? 'bad\u0000run' : `run-${n}`)),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((await rowsFor('group-')).map((r) => r.target_id).sort()).toEqual([
      'group-1',
      'group-2',
      'group-4',
      'group-5',
      'group-warm',
    ]);
    expect(await verifyChain(app.deps, orgId, 'full')).toMatchObject({ ok: true });
  });

  it('two instances and transactional writers extend one chain: stale heads retry under the lock, no row lost', async () => {
    const orgId = app.orgB.orgId;
    const before = await verifyChain(app.deps, orgId, 'full');
    const [a, b] = [
      createAccessLog(app.deps.storage, app.deps.auditKeys),
      createAccessLog(app.deps.storage, app.deps.auditKeys),
    ];
    const admin = app.caller(app.orgB.adminToken);
    for (const wave of [1, 2, 3]) {
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).record(worker(orgId, i), access(`wave-${wave}-${i}`, `run-${i}`)),
        ),
        admin.secrets.create({ name: `chain-wave-${wave}`, value: 'v', scope: 'agent' }),
      ]);
    }
    expect(await rowsFor('wave-')).toHaveLength(60);
    expect(await verifyChain(app.deps, orgId, 'full')).toMatchObject({ ok: true, checked: before.checked + 63 });
  });

  it('a server on the schema before audit_append_at_head (blocked behind a backfill) appends under the lock', async () => {
    const orgId = app.orgA.orgId;
    const before = await verifyChain(app.deps, orgId, 'full');
    const rename = (from: string, to: string) =>
      sql`alter function ${sql.id(from)} rename to ${sql.id(to)}`.execute(app.deps.db);
    await rename('audit_append_at_head', 'audit_append_at_head_hidden');
    try {
      const log = createAccessLog(app.deps.storage, app.deps.auditKeys);
      await Promise.all([1, 2, 3].map((n) => log.record(worker(orgId, n), access(`pre-${n}`, `run-${n}`))));
      await log.record(worker(orgId, 4), access('pre-4', 'run-4'));
    } finally {
      await rename('audit_append_at_head_hidden', 'audit_append_at_head');
    }
    expect(await rowsFor('pre-')).toHaveLength(4);
    expect(await verifyChain(app.deps, orgId, 'full')).toMatchObject({ ok: true, checked: before.checked + 4 });
  });

  it('gives rows time-ordered ids (UUIDv7), so inserts append at the right edge of the primary key index', async () => {
    const orgId = app.orgB.orgId;
    const log = createAccessLog(app.deps.storage, app.deps.auditKeys);
    for (const n of [1, 2, 3]) {
      await log.record(worker(orgId, n), access(`v7-${n}`, `run-${n}`));
      await new Promise((r) => setTimeout(r, 2));
    }
    const rows = await app.deps.db
      .selectFrom('audit_log')
      .select(['id', 'seq'])
      .where('target_id', 'like', 'v7-%')
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.id[14])).toEqual(['7', '7', '7']);
    expect(rows.map((r) => r.id)).toEqual(rows.map((r) => r.id).sort());
    const millis = Number.parseInt(rows[0]!.id.replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(millis - Date.now())).toBeLessThan(60_000);
  });
});
