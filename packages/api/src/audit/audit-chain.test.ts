import { migrateTo } from '@strongroom/db';
import { openTestStorage } from '@strongroom/db/testing';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setInfraSecret } from '../infra-secrets/service';
import { createTestApp, type TestApp } from '../../test/support/harness';
import { type ChainedFields, chainHash, GENESIS_HASH } from './chain';
import { verifyChain } from './verify';

let app: TestApp;
afterEach(() => app?.close());

/** What someone with write access to the database (and without the KEK) can do to a row. */
async function asDatabaseWriter(app: TestApp, statement: ReturnType<typeof sql>) {
  await sql`alter table audit_log disable trigger audit_log_append_only`.execute(app.deps.db);
  try {
    await statement.execute(app.deps.db);
  } finally {
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(app.deps.db);
  }
}

async function chainOf(app: TestApp, orgId: string | null) {
  return app.deps.db
    .selectFrom('audit_log')
    .selectAll()
    .where((eb) => (orgId ? eb('org_id', '=', orgId) : eb('org_id', 'is', null)))
    .orderBy('seq')
    .execute();
}

const fieldsOf = (r: Awaited<ReturnType<typeof chainOf>>[number]): ChainedFields => ({
  org_id: r.org_id,
  seq: r.seq,
  actor_type: r.actor_type,
  actor_id: r.actor_id,
  action: r.action,
  target_type: r.target_type,
  target_id: r.target_id,
  request_id: r.request_id,
  metadata: r.metadata,
  created_at: r.created_at,
});

/** Edits row `seq` of a chain and recomputes every hash from there as unkeyed SHA-256: all one can do without the key. */
async function forgeFrom(app: TestApp, orgId: string, seq: number, dropKeyId: boolean) {
  const rows = await chainOf(app, orgId);
  let prev = seq > 1 ? rows[seq - 2]!.hash : GENESIS_HASH;
  for (const row of rows.slice(seq - 1)) {
    const fields = fieldsOf(row);
    if (row.seq === seq) fields.metadata = { forged: true };
    const hash = chainHash(null, prev, fields);
    await asDatabaseWriter(
      app,
      sql`update audit_log set metadata = ${JSON.stringify(fields.metadata)}::jsonb, prev_hash = ${prev}, hash = ${hash},
        key_id = ${dropKeyId ? null : row.key_id} where id = ${row.id}`,
    );
    prev = hash;
  }
  return rows[seq - 1]!.id;
}

describe('keyed audit chain', () => {
  beforeEach(async () => {
    app = await createTestApp();
    const admin = app.caller(app.orgA.adminToken);
    for (let i = 0; i < 5; i++) await admin.secrets.create({ name: `s${i}`, value: `v${i}`, scope: 'org' });
  });

  it('chains new rows with the HMAC key sealed under the KEK, not an unkeyed hash', async () => {
    const key = await app.deps.db.selectFrom('audit_keys').selectAll().executeTakeFirstOrThrow();
    expect(key.kek_id).toBe('test-kek');
    expect(Buffer.from(key.value).length).toBeGreaterThan(32); // an envelope, not the raw key
    const rows = await chainOf(app, app.orgA.orgId);
    expect(rows.every((r) => r.key_id === key.id)).toBe(true);
    expect(chainHash(null, rows[0]!.prev_hash, fieldsOf(rows[0]!))).not.toBe(rows[0]!.hash);
    expect(chainHash(app.deps.auditKeys.current, rows[0]!.prev_hash, fieldsOf(rows[0]!))).toBe(rows[0]!.hash);
  });

  it.each([
    ['keeping the key id', false],
    ['dropping the key id (a downgrade to unkeyed rows)', true],
  ])('a writer who edits a row and recomputes every later SHA-256, %s, is caught at that row', async (_, drop) => {
    const admin = app.caller(app.orgA.adminToken);
    const victim = await forgeFrom(app, app.orgA.orgId, 3, drop);
    const result = await admin.audit.verify({ mode: 'full' });
    expect(result).toMatchObject({ ok: false, checked: 2, firstBrokenId: victim });
    expect(result.problem).toBe(drop ? 'an unkeyed row after the chain was keyed' : 'the row was altered');
    expect((await app.caller(app.orgB.adminToken).audit.verify({ mode: 'full' })).ok).toBe(true);
  });

  it('refuses TRUNCATE of the log, its checkpoints and its keys, and removal of a key', async () => {
    await expect(sql`truncate audit_log`.execute(app.deps.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_checkpoints`.execute(app.deps.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_keys cascade`.execute(app.deps.db)).rejects.toThrow(/append-only|never removed/);
    await expect(app.deps.db.deleteFrom('audit_keys').execute()).rejects.toThrow(/never removed/);
    expect(await app.deps.db.selectFrom('audit_log').select('id').execute()).not.toHaveLength(0);
    expect(await app.deps.db.selectFrom('audit_keys').select('id').execute()).toHaveLength(1);
  });

  it('checks the platform chain (rows of no org), which an org admin does not see', async () => {
    await setInfraSecret(app.deps, 'ai-gateway-token', 'gw-1');
    await setInfraSecret(app.deps, 'ai-gateway-token', 'gw-2');
    expect(await verifyChain(app.deps, null, 'full')).toMatchObject({ ok: true, checked: 2 });
    const [first] = await chainOf(app, null);
    await asDatabaseWriter(app, sql`update audit_log set target_id = 'other' where id = ${first!.id}`);
    expect(await verifyChain(app.deps, null, 'full')).toMatchObject({
      ok: false,
      checked: 0,
      firstBrokenId: first!.id,
    });
    // An org admin verifies their own chain only.
    expect(await app.caller(app.orgA.adminToken).audit.verify({ mode: 'full' })).toMatchObject({ ok: true });
  });

  it('verifies incrementally from the last keyed checkpoint; a full walk still finds older edits', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const first = await admin.audit.verify();
    expect(first).toMatchObject({ ok: true, mode: 'incremental', fromSeq: 0 });
    const head = first.checked;
    for (let i = 0; i < 3; i++) await admin.secrets.create({ name: `later${i}`, value: 'v', scope: 'org' });
    expect(await admin.audit.verify()).toMatchObject({ ok: true, fromSeq: head, checked: 3 });

    // A row after the last checkpoint: incremental verification catches it.
    await admin.secrets.create({ name: 'after', value: 'v', scope: 'org' });
    const after = (await chainOf(app, app.orgA.orgId)).at(-1)!;
    await asDatabaseWriter(app, sql`update audit_log set actor_id = null where id = ${after.id}`);
    expect(await admin.audit.verify()).toMatchObject({ ok: false, fromSeq: head + 3, firstBrokenId: after.id });

    // A row before it: only the full walk recomputes it.
    const before = (await chainOf(app, app.orgA.orgId))[1]!;
    await asDatabaseWriter(app, sql`update audit_log set action = 'secret.delete' where id = ${before.id}`);
    expect(await admin.audit.verify({ mode: 'full' })).toMatchObject({
      ok: false,
      checked: 1,
      firstBrokenId: before.id,
    });
  });

  it('ignores a checkpoint without a valid MAC', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const rows = await chainOf(app, app.orgA.orgId);
    const last = rows.at(-1)!;
    // A forged checkpoint past an edited row would let incremental verification skip the edit.
    await asDatabaseWriter(app, sql`update audit_log set action = 'secret.delete' where id = ${last.id}`);
    await app.deps.db
      .insertInto('audit_checkpoints')
      .values({
        org_id: app.orgA.orgId,
        seq: last.seq,
        hash: last.hash,
        kind: 'verified',
        key_id: app.deps.auditKeys.current!.id,
        mac: 'f'.repeat(64),
      })
      .execute();
    expect(await admin.audit.verify()).toMatchObject({ ok: false, fromSeq: 0, firstBrokenId: last.id });
  });

  it('notices the newest rows deleted back past the last checkpoint', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const { checked } = await admin.audit.verify();
    await asDatabaseWriter(app, sql`delete from audit_log where org_id = ${app.orgA.orgId} and seq >= ${checked - 1}`);
    for (const mode of ['incremental', 'full'] as const) {
      expect(await admin.audit.verify({ mode })).toMatchObject({
        ok: false,
        problem: expect.stringMatching(/missing/),
      });
    }
  });
});

describe('a chain written before keying', () => {
  it('stays verifiable as unkeyed rows up to the legacy checkpoint; a rewrite of them is caught', async () => {
    const storage = await openTestStorage({ migrated: false });
    await migrateTo(storage.db, '2026-11-20T00-00-00-drop-legacy-credentials');
    const orgId = '11111111-1111-4111-8111-111111111111';
    await sql`insert into orgs (id, name) values (${orgId}, 'old')`.execute(storage.db);
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 4; seq++) {
      const row: ChainedFields = {
        org_id: orgId,
        seq,
        actor_type: 'system',
        actor_id: null,
        action: 'secret.create',
        target_type: 'secret',
        target_id: `t${seq}`,
        request_id: null,
        metadata: { n: seq },
        created_at: new Date(),
      };
      const hash = chainHash(null, prev, row);
      await storage.db
        .insertInto('audit_log')
        .values({ ...row, metadata: JSON.stringify(row.metadata), prev_hash: prev, hash })
        .execute();
      prev = hash;
    }
    app = await createTestApp({ storage });
    expect(await verifyChain(app.deps, orgId, 'full')).toMatchObject({ ok: true, checked: 4 });
    const cp = await app.deps.db.selectFrom('audit_checkpoints').selectAll().where('org_id', '=', orgId).execute();
    expect(cp).toMatchObject([{ kind: 'legacy', seq: 4 }]);

    // Rewriting the unkeyed rows consistently still breaks the keyed legacy checkpoint.
    const rows = await chainOf(app, orgId);
    let p = GENESIS_HASH;
    for (const r of rows) {
      const f = fieldsOf(r);
      if (r.seq === 2) f.metadata = { n: 'forged' };
      const h = chainHash(null, p, f);
      await asDatabaseWriter(
        app,
        sql`update audit_log set metadata = ${JSON.stringify(f.metadata)}::jsonb, prev_hash = ${p}, hash = ${h} where id = ${r.id}`,
      );
      p = h;
    }
    expect(await verifyChain(app.deps, orgId, 'full')).toMatchObject({
      ok: false,
      firstBrokenId: rows[3]!.id,
      problem: 'a row differs from its checkpoint',
    });
  });
});
