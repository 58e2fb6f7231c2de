import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestAgent, createTestApp, type TestApp } from '../../test/support/harness';

let app: TestApp;
let admin: ReturnType<TestApp['caller']>;

beforeAll(async () => {
  app = await createTestApp();
  admin = app.caller(app.orgA.adminToken);
});
afterAll(() => app.close());

describe('write-only secrets', () => {
  it('are revealable by default; made write-only, nobody reveals them, not even an admin', async () => {
    const secret = await admin.secrets.create({ name: 'wo', value: 'hidden-value', scope: 'agent' });
    expect(secret.revealable).toBe(true);
    const made = await admin.secrets.update({ id: secret.id, revealable: false });
    expect(made).toMatchObject({ revealable: false, version: 1 });
    const err = await expectTRPCError(admin.secrets.reveal({ id: secret.id }), 'FORBIDDEN');
    expect(err.message).toMatch(/write-only/);
    expect(err.message).not.toContain('hidden-value');
    expect((await admin.secrets.get({ id: secret.id })).revealable).toBe(false);
    expect((await admin.secrets.list({ search: 'wo' })).items[0]!.revealable).toBe(false);
    const rows = await app.deps.db
      .selectFrom('audit_log')
      .select(['action', 'metadata'])
      .where('target_id', '=', secret.id)
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.action)).toEqual(['secret.create', 'secret.write_only']);
  });

  it('can be set, rotated, rolled back and resolved by the runtime', async () => {
    const agentId = await createTestAgent(app, app.orgA);
    const worker = app.caller(app.orgA.workerToken);
    const { id } = await admin.secrets.create({ name: 'wo-live', value: 'one', scope: 'agent', revealable: false });
    await admin.secrets.update({ id, value: 'two' });
    const rolled = await admin.secrets.rollback({ id, toVersion: 1 });
    expect(rolled).toMatchObject({ version: 3, revealable: false });
    expect(await worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: id, agentId })).toEqual({
      id,
      version: 3,
      value: 'one',
    });
  });

  it('can never be made revealable again', async () => {
    const { id } = await admin.secrets.create({ name: 'wo-once', value: 'v', scope: 'org', revealable: false });
    const err = await expectTRPCError(admin.secrets.update({ id, revealable: true }), 'CONFLICT');
    expect(err.message).toMatch(/cannot be made revealable again/);
    // Asking again for what it already is changes and audits nothing.
    expect((await admin.secrets.update({ id, revealable: false })).revealable).toBe(false);
    const flips = await app.deps.db
      .selectFrom('audit_log')
      .select('id')
      .where('target_id', '=', id)
      .where('action', '=', 'secret.write_only')
      .execute();
    expect(flips).toEqual([]);
    await expectTRPCError(admin.secrets.reveal({ id }), 'FORBIDDEN');
  });
});

describe('rotation reminders', () => {
  /** Makes the secret's current version `days` old, as if it had been set back then. */
  const backdate = (id: string, days: number) =>
    sql`update secret_versions set created_at = now() - make_interval(days => ${days})
      where secret_id = ${id} and version = (select version from secrets where id = ${id})`.execute(app.deps.db);

  it('flags a secret whose current version is older than its period, in list, get, the filter and me', async () => {
    const me = async () => (await admin.me()).summary?.rotationDue;
    const before = await me();
    const due = await admin.secrets.create({ name: 'rot-due', value: 'v', scope: 'org', rotationPeriodDays: 1 });
    const fresh = await admin.secrets.create({ name: 'rot-fresh', value: 'v', scope: 'org', rotationPeriodDays: 1 });
    const none = await admin.secrets.create({ name: 'rot-none', value: 'v', scope: 'org' });
    expect(due).toMatchObject({ rotationPeriodDays: 1, rotationDue: false });
    expect(none.rotationPeriodDays).toBeNull();
    await backdate(due.id, 2);
    await backdate(none.id, 400);

    expect(await admin.secrets.get({ id: due.id })).toMatchObject({ rotationDue: true });
    expect((await admin.secrets.get({ id: fresh.id })).rotationDue).toBe(false);
    expect((await admin.secrets.get({ id: none.id })).rotationDue).toBe(false);
    const listed = (await admin.secrets.list({ search: 'rot-' })).items;
    expect(listed.map((s) => [s.name, s.rotationDue])).toEqual([
      ['rot-due', true],
      ['rot-fresh', false],
      ['rot-none', false],
    ]);
    expect((await admin.secrets.list({ rotationDue: true })).items.map((s) => s.name)).toEqual(['rot-due']);
    expect(await me()).toBe((before ?? 0) + 1);
    // Members see no summary; nothing expired: the value still resolves and reveals.
    expect((await app.caller(app.orgA.memberToken).me()).summary).toBeUndefined();
    expect((await admin.secrets.reveal({ id: due.id })).value).toBe('v');

    // A new value restarts the period; a longer period or none clears the flag too.
    expect((await admin.secrets.update({ id: due.id, value: 'v2' })).rotationDue).toBe(false);
    await backdate(due.id, 2);
    expect((await admin.secrets.update({ id: due.id, rotationPeriodDays: 30 })).rotationDue).toBe(false);
    expect((await admin.secrets.update({ id: due.id, rotationPeriodDays: 1 })).rotationDue).toBe(true);
    expect((await admin.secrets.update({ id: due.id, rotationPeriodDays: null })).rotationPeriodDays).toBeNull();
    expect(await me()).toBe(before ?? 0);
  });

  it('refuses a period out of range', async () => {
    const err = await expectTRPCError(
      admin.secrets.create({ name: 'rot-bad', value: 'v', scope: 'org', rotationPeriodDays: 0 }),
      'BAD_REQUEST',
    );
    expect(err.cause).toMatchObject({ issues: [expect.objectContaining({ path: ['rotationPeriodDays'] })] });
  });
});
