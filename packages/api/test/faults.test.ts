import { createKmsKeyring } from '@strongroom/crypto';
import { testEngine } from '@strongroom/db/testing';
import { type KmsWireServer, startKmsWireServer } from '@strongroom/testkit';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTRPCError } from './support/expect-error';
import { createTestAgent, createTestApp, type TestApp } from './support/harness';

/** Fault drills: bounded, loopback only, and each ends with the service recovered. */

/** Every secret's history and audit trail agree with its version: no half-written change. */
async function consistent(app: TestApp) {
  const { rows } = await sql<{ id: string; version: number; history: number; audited: number }>`
    select s.id, s.version,
      (select count(*)::int from secret_versions v where v.secret_id = s.id) as history,
      (select count(*)::int from audit_log a where a.target_id = s.id::text
         and a.action in ('secret.create', 'secret.rotate', 'secret.rollback')) as audited
    from secrets s`.execute(app.deps.db);
  for (const r of rows) expect(r, `secret ${r.id}`).toMatchObject({ history: r.version, audited: r.version });
  return rows.length;
}

describe('KMS down or throttled', () => {
  let kms: KmsWireServer;
  let app: TestApp;
  beforeAll(async () => {
    kms = await startKmsWireServer();
    const keyId = kms.createKey('strongroom');
    const keyring = createKmsKeyring({
      keyId,
      endpoint: kms.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
      maxAttempts: 2,
      timeoutMs: 300,
    });
    app = await createTestApp({ keyring, env: { DATA_KEY_CACHE_MAX_AGE_MS: '1500' } });
  });
  afterAll(async () => {
    await app.close();
    await kms.close();
  });

  for (const kind of ['internal', 'throttle'] as const) {
    it(`${kind}: cached reads go on, new writes fail retryably and write nothing, then reads fail closed; recovery needs no restart`, async () => {
      const acme = app.caller(app.orgA.adminToken);
      const globex = app.caller(app.orgB.adminToken);
      const { id } = await acme.secrets.create({ name: `kms-${kind}`, value: 'cached', scope: 'org' });
      const before = await app.deps.db
        .selectFrom('secrets')
        .select('id')
        .where('org_id', '=', app.orgB.orgId)
        .execute();
      await new Promise((r) => setTimeout(r, 1600)); // let org B's data key, if any, expire
      await acme.secrets.reveal({ id }); // and warm org A's again
      kms.fault({ kind });

      expect((await acme.secrets.reveal({ id })).value).toBe('cached');
      const write = await expectTRPCError(
        globex.secrets.create({ name: `kms-${kind}`, value: 'v', scope: 'org' }),
        'SERVICE_UNAVAILABLE',
      );
      expect(write.message).toMatch(/key service is unavailable; retry later/);
      expect(
        await app.deps.db.selectFrom('secrets').select('id').where('org_id', '=', app.orgB.orgId).execute(),
      ).toEqual(before);
      expect(await app.caller().health()).toMatchObject({ ok: false, keyring: 'down', database: 'up' });

      await new Promise((r) => setTimeout(r, 1600));
      const closed = await expectTRPCError(acme.secrets.reveal({ id }), 'SERVICE_UNAVAILABLE');
      expect(closed.cause).toMatchObject({ reason: 'KEY_UNAVAILABLE' });

      kms.clearFaults();
      expect((await acme.secrets.reveal({ id })).value).toBe('cached');
      await globex.secrets.create({ name: `kms-${kind}`, value: 'v', scope: 'org' });
      expect(await app.caller().health()).toMatchObject({ ok: true });
      await consistent(app);
    });
  }
});

describe('Postgres connections dropped under load', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it.skipIf(testEngine() === 'pglite')(
    'requests in flight fail cleanly, later ones succeed, nothing is half-written (Postgres only: PGlite has no server to lose)',
    async () => {
      const admin = app.caller(app.orgA.adminToken);
      const { id } = await admin.secrets.create({ name: 'under-load', value: 'v0', scope: 'org' });
      const outcomes: string[] = [];
      const until = Date.now() + 2_000;
      const worker = async (w: number) => {
        for (let i = 0; Date.now() < until; i++) {
          try {
            await (i % 2
              ? admin.secrets.update({ id, value: `v${w}-${i}` })
              : admin.secrets.create({ name: `load-${w}-${i}`, value: 'v', scope: 'org' }));
            outcomes.push('ok');
          } catch (err) {
            outcomes.push(err instanceof TRPCError ? err.code : 'thrown');
          }
        }
      };
      const dropConnections = async () => {
        for (const at of [300, 700, 1_100, 1_500]) {
          await new Promise((r) => setTimeout(r, at === 300 ? 300 : 400));
          await sql`select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()`
            .execute(app.deps.db)
            .catch(() => {});
        }
      };
      await Promise.all([...Array.from({ length: 8 }, (_, w) => worker(w)), dropConnections()]);
      const failed = outcomes.filter((o) => o !== 'ok');
      expect(failed.filter((o) => o !== 'SERVICE_UNAVAILABLE')).toEqual([]);
      expect(failed.length).toBeGreaterThan(0);
      expect(outcomes.length - failed.length).toBeGreaterThan(failed.length);
      // Later requests succeed without a restart.
      await admin.secrets.update({ id, value: 'after' });
      expect((await admin.secrets.reveal({ id })).value).toBe('after');
      await consistent(app);
    },
  );
});

describe('audit insert failing for reads', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('no value leaves without its audit row: reveals and runtime resolutions fail while the insert fails', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const { id } = await admin.secrets.create({ name: 'read-audited', value: 'read-value', scope: 'agent' });
    const agentId = await createTestAgent(app, app.orgA);
    const worker = app.caller(app.orgA.workerToken);
    await sql`alter table audit_log add constraint no_reads check (action not in ('secret.reveal', 'secret.access')) not valid`.execute(
      app.deps.db,
    );
    try {
      const reads = await Promise.allSettled([
        ...Array.from({ length: 10 }, () => admin.secrets.reveal({ id })),
        ...Array.from({ length: 10 }, () =>
          worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: id, agentId }),
        ),
      ]);
      expect(reads.every((r) => r.status === 'rejected')).toBe(true);
      expect(JSON.stringify(reads)).not.toContain('read-value');
    } finally {
      await sql`alter table audit_log drop constraint no_reads`.execute(app.deps.db);
    }
    expect((await admin.secrets.reveal({ id })).value).toBe('read-value');
    expect((await admin.audit.verify()).ok).toBe(true);
  });
});

describe('audit insert failing under load', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('every change whose audit row fails is rolled back; the others commit', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const { id } = await admin.secrets.create({ name: 'audited', value: 'start', scope: 'org' });
    await sql`alter table audit_log add constraint no_rotations check (action <> 'secret.rotate') not valid`.execute(
      app.deps.db,
    );
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          i % 2
            ? admin.secrets.update({ id, value: `x${i}` })
            : admin.secrets.create({ name: `ok-${i}`, value: 'v', scope: 'org' }),
        ),
      );
      expect(results.filter((r, i) => (r.status === 'fulfilled') !== (i % 2 === 0))).toEqual([]);
    } finally {
      await sql`alter table audit_log drop constraint no_rotations`.execute(app.deps.db);
    }
    expect((await admin.secrets.reveal({ id })).value).toBe('start');
    expect(await consistent(app)).toBe(21);
  });
});
