import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestApp, type TestApp } from '../../test/support/harness';
import type { AppError } from '../core/errors';

let app: TestApp;
let admin: ReturnType<TestApp['caller']>;
beforeAll(async () => {
  app = await createTestApp();
  admin = app.caller(app.orgA.adminToken);
});
afterAll(() => app.close());

const auditOf = async (targetId: string) =>
  (await admin.audit.list({ targetId })).items.map((e) => ({ action: e.action, metadata: e.metadata }));

describe('groups (chats)', () => {
  it('are renamed, audited with the old and new name', async () => {
    const group = await admin.groups.create({ name: 'support' });
    expect(await admin.groups.rename({ id: group.id, name: '  support-eu ' })).toEqual({
      id: group.id,
      name: 'support-eu',
    });
    expect((await admin.groups.list()).find((g) => g.id === group.id)?.name).toBe('support-eu');
    expect(await auditOf(group.id)).toEqual([
      { action: 'group.rename', metadata: { from: 'support', name: 'support-eu' } },
      { action: 'group.create', metadata: { name: 'support' } },
    ]);
    // The same name again changes nothing and writes no audit row.
    expect(await admin.groups.rename({ id: group.id, name: 'support-eu' })).toEqual({
      id: group.id,
      name: 'support-eu',
    });
    expect(await auditOf(group.id)).toHaveLength(2);
  });

  it('cannot be deleted while grants name it: CONFLICT naming the secrets; deleted once they are removed', async () => {
    const group = await admin.groups.create({ name: 'sales' });
    const a = await admin.secrets.create({ name: 'crm-key', value: 'v-crm', scope: 'org' });
    const b = await admin.secrets.create({ name: 'mail-key', value: 'v-mail', scope: 'org', namespace: 'ops' });
    for (const secret of [a, b])
      await admin.grants.add({ secretId: secret.id, granteeType: 'group', granteeId: group.id });

    const err = await expectTRPCError(admin.groups.delete({ id: group.id }), 'CONFLICT');
    expect(err.message).toBe(
      'Group "sales" is granted secrets "default/crm-key", "ops/mail-key"; remove those grants first',
    );
    const cause = err.cause as AppError;
    expect(cause.reason).toBe('GROUP_IN_USE');
    expect(cause.details).toEqual({
      secrets: [
        { id: a.id, name: 'crm-key', namespace: 'default' },
        { id: b.id, name: 'mail-key', namespace: 'ops' },
      ],
    });
    expect((await admin.groups.list()).map((g) => g.id)).toContain(group.id);

    for (const secret of [a, b])
      await admin.grants.remove({ secretId: secret.id, granteeType: 'group', granteeId: group.id });
    expect(await admin.groups.delete({ id: group.id })).toEqual({ id: group.id });
    expect((await admin.groups.list()).map((g) => g.id)).not.toContain(group.id);
    expect((await auditOf(group.id))[0]).toEqual({ action: 'group.delete', metadata: { name: 'sales' } });
    // The grant form's check now finds no such group.
    await expectTRPCError(admin.grants.add({ secretId: a.id, granteeType: 'group', granteeId: group.id }), 'NOT_FOUND');
    await expectTRPCError(admin.groups.delete({ id: group.id }), 'NOT_FOUND');
  });

  it('a grant added while the group is deleted never outlives it: one of the two is refused', async () => {
    const secret = await admin.secrets.create({ name: 'race-key', value: 'race-value', scope: 'org' });
    for (let i = 0; i < 5; i++) {
      const group = await admin.groups.create({ name: `race ${i}` });
      const [deleted, granted] = await Promise.allSettled([
        admin.groups.delete({ id: group.id }),
        admin.grants.add({ secretId: secret.id, granteeType: 'group', granteeId: group.id }),
      ]);
      expect([deleted.status, granted.status].sort()).toEqual(['fulfilled', 'rejected']);
      const orphans = await app.deps.db
        .selectFrom('secret_grants')
        .select('secret_id')
        .where('grantee_id', '=', group.id)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('groups').select('id').where('id', '=', group.id))))
        .execute();
      expect(orphans).toEqual([]);
      if (granted.status === 'fulfilled')
        await admin.grants.remove({ secretId: secret.id, granteeType: 'group', granteeId: group.id });
    }
  });

  it('overview lists each group with the secrets granted to it, names only', async () => {
    const chat = await admin.groups.create({ name: 'overview chat' });
    const empty = await admin.groups.create({ name: 'overview empty' });
    const secret = await admin.secrets.create({ name: 'overview-key', value: 'overview-value', scope: 'org' });
    await admin.grants.add({ secretId: secret.id, granteeType: 'group', granteeId: chat.id });
    const overview = await admin.groups.overview();
    expect(overview.find((g) => g.id === chat.id)).toMatchObject({
      name: 'overview chat',
      secrets: [{ id: secret.id, name: 'overview-key', namespace: 'default' }],
    });
    expect(overview.find((g) => g.id === empty.id)?.secrets).toEqual([]);
    expect(JSON.stringify(overview)).not.toContain('overview-value');
  });

  it("another org's group is NOT_FOUND to rename or delete, and absent from its overview", async () => {
    const group = await admin.groups.create({ name: 'private' });
    const foreign = app.caller(app.orgB.adminToken);
    await expectTRPCError(foreign.groups.rename({ id: group.id, name: 'taken' }), 'NOT_FOUND');
    await expectTRPCError(foreign.groups.delete({ id: group.id }), 'NOT_FOUND');
    expect((await foreign.groups.overview()).map((g) => g.id)).not.toContain(group.id);
    expect((await admin.groups.list()).find((g) => g.id === group.id)?.name).toBe('private');
  });

  it('refuses a blank name with BAD_REQUEST on the field', async () => {
    const group = await admin.groups.create({ name: 'named' });
    const err = await expectTRPCError(admin.groups.rename({ id: group.id, name: '   ' }), 'BAD_REQUEST');
    expect(err.message).toMatch(/name/);
  });
});
