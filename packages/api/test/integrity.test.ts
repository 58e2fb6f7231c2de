import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTRPCError } from './support/expect-error';
import { createTestApp, type TestApp } from './support/harness';

let app: TestApp;
let admin: ReturnType<TestApp['caller']>;

beforeAll(async () => {
  app = await createTestApp();
  admin = app.caller(app.orgA.adminToken);
});
afterAll(() => app.close());

describe('tamper at rest', () => {
  it('a sealed value swapped into another row fails to open instead of revealing the other value', async () => {
    const a = await admin.secrets.create({ name: 'swap-a', value: 'value-of-a', scope: 'org' });
    const b = await admin.secrets.create({ name: 'swap-b', value: 'value-of-b', scope: 'org' });
    await sql`update secrets set value = (select value from secrets where id = ${b.id}) where id = ${a.id}`.execute(
      app.deps.db,
    );
    const err = await expectTRPCError(admin.secrets.reveal({ id: a.id }), 'INTERNAL_SERVER_ERROR');
    expect(err.message).toMatch(/integrity check/);
    expect(err.message).not.toContain('value-of');
    expect((await admin.secrets.reveal({ id: b.id })).value).toBe('value-of-b');
  });

  it('a sealed value moved to another org fails to open', async () => {
    const a = await admin.secrets.create({ name: 'cross-org', value: 'value-of-acme', scope: 'org' });
    const other = app.caller(app.orgB.adminToken);
    const b = await other.secrets.create({ name: 'cross-org', value: 'value-of-globex', scope: 'org' });
    await sql`update secrets set value = (select value from secrets where id = ${a.id}) where id = ${b.id}`.execute(
      app.deps.db,
    );
    await expectTRPCError(other.secrets.reveal({ id: b.id }), 'INTERNAL_SERVER_ERROR');
  });

  it('an older version copied over the current one fails to open', async () => {
    const s = await admin.secrets.create({ name: 'old-version', value: 'v1', scope: 'org' });
    await admin.secrets.update({ id: s.id, value: 'v2' });
    await sql`update secrets set value = (select value from secret_versions where secret_id = ${s.id} and version = 1)
      where id = ${s.id}`.execute(app.deps.db);
    await expectTRPCError(admin.secrets.reveal({ id: s.id }), 'INTERNAL_SERVER_ERROR');
  });

  it('a flipped byte fails to open', async () => {
    const s = await admin.secrets.create({ name: 'flipped', value: 'intact', scope: 'org' });
    await sql`update secrets set value = set_byte(value, length(value) - 1, get_byte(value, length(value) - 1) # 1)
      where id = ${s.id}`.execute(app.deps.db);
    await expectTRPCError(admin.secrets.reveal({ id: s.id }), 'INTERNAL_SERVER_ERROR');
  });
});

describe('concurrency', () => {
  it('50 concurrent value updates: version 51, 51 history rows, 50 audit rows', async () => {
    const s = await admin.secrets.create({ name: 'contended', value: 'start', scope: 'org' });
    await Promise.all(Array.from({ length: 50 }, (_, i) => admin.secrets.update({ id: s.id, value: `value-${i}` })));
    expect((await admin.secrets.get({ id: s.id })).version).toBe(51);
    const history = await app.deps.db
      .selectFrom('secret_versions')
      .select('version')
      .where('secret_id', '=', s.id)
      .execute();
    expect(history.map((h) => h.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    const audit = await app.deps.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'secret.rotate')
      .where('target_id', '=', s.id)
      .execute();
    expect(audit).toHaveLength(50);
    expect((await admin.audit.verify()).ok).toBe(true);
  });
});

describe('audit', () => {
  it('keeps one unbroken chain while group-committed reads and locked writes interleave', async () => {
    const s = await admin.secrets.create({ name: 'interleaved', value: 'v', scope: 'agent' });
    // Another person: the reveal limit is per user, and the admin has revealed above.
    const reader = app.caller((await admin.members.add({ email: 'reader@acme.test', role: 'admin' })).token);
    const ops = Array.from({ length: 60 }, (_, i) =>
      i % 2 ? reader.secrets.reveal({ id: s.id }) : admin.secrets.update({ id: s.id, value: `w${i}` }),
    );
    await Promise.all(ops.slice(0, 20));
    await Promise.all(ops.slice(20));
    expect(await admin.audit.verify()).toMatchObject({ ok: true });
    expect((await admin.audit.list({ action: 'secret.reveal', targetId: s.id, limit: 200 })).items).toHaveLength(30);
  });

  it('is fail-closed: when the audit insert fails, the change is rolled back', async () => {
    const s = await admin.secrets.create({ name: 'fail-closed', value: 'before', scope: 'org' });
    await sql`alter table audit_log add constraint audit_blocked check (action <> 'secret.rotate') not valid`.execute(
      app.deps.db,
    );
    try {
      await expect(admin.secrets.update({ id: s.id, value: 'after' })).rejects.toThrow();
      await expect(admin.secrets.create({ name: 'fail-closed-2', value: 'v', scope: 'org' })).resolves.toBeTruthy();
    } finally {
      await sql`alter table audit_log drop constraint audit_blocked`.execute(app.deps.db);
    }
    expect(await admin.secrets.reveal({ id: s.id })).toMatchObject({ version: 1, value: 'before' });
    const history = await app.deps.db
      .selectFrom('secret_versions')
      .select('version')
      .where('secret_id', '=', s.id)
      .execute();
    expect(history).toHaveLength(1);
  });

  it('chains rows per org, and verify names the first row that was altered', async () => {
    expect(await admin.audit.verify()).toMatchObject({ ok: true });
    const other = app.caller(app.orgB.adminToken);
    const before = await other.audit.verify();
    expect(before.ok).toBe(true);
    const victim = await app.deps.db
      .selectFrom('audit_log')
      .select(['id', 'seq'])
      .where('org_id', '=', app.orgB.orgId)
      .orderBy('seq')
      .offset(1)
      .limit(1)
      .executeTakeFirstOrThrow();
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(app.deps.db);
    await sql`update audit_log set metadata = '{"forged": true}' where id = ${victim.id}`.execute(app.deps.db);
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(app.deps.db);
    // The edit is older than the checkpoint the last verify wrote: only a full walk recomputes it.
    expect(await other.audit.verify()).toMatchObject({ ok: true, mode: 'incremental', checked: 0 });
    expect(await other.audit.verify({ mode: 'full' })).toEqual({
      ok: false,
      checked: victim.seq - 1,
      firstBrokenId: victim.id,
      problem: 'the row was altered',
      mode: 'full',
      fromSeq: 0,
    });
    expect((await admin.audit.verify({ mode: 'full' })).ok).toBe(true);
  });

  it('lists newest first with filters and a cursor', async () => {
    const page = await admin.audit.list({ limit: 3 });
    expect(page.items).toHaveLength(3);
    expect(page.items[0]!.seq).toBeGreaterThan(page.items[2]!.seq);
    const next = await admin.audit.list({ limit: 3, cursor: page.nextCursor! });
    expect(next.items[0]!.seq).toBe(page.items[2]!.seq - 1);
    const creates = await admin.audit.list({ action: 'secret.create' });
    expect(creates.items.every((e) => e.action === 'secret.create')).toBe(true);
    const future = await admin.audit.list({ since: new Date(Date.now() + 60_000).toISOString() });
    expect(future.items).toEqual([]);
  });
});
