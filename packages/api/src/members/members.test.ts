import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestApp, type TestApp } from '../../test/support/harness';

let app: TestApp;
let admin: ReturnType<TestApp['caller']>;
beforeAll(async () => {
  app = await createTestApp();
  admin = app.caller(app.orgA.adminToken);
});
afterAll(() => app.close());

describe('a new token for a member whose token was lost', () => {
  it('acts as the member, is shown once, listed under them and audited; revoking the old one leaves it working', async () => {
    const added = await admin.members.add({ email: 'lost@acme.test', role: 'member' });
    const first = (await admin.tokens.list()).find((t) => t.userId === added.userId)!;
    const issued = await admin.members.issueToken({ userId: added.userId });
    expect(issued.token).toMatch(/^sru_/);
    const me = await app.caller(issued.token).me();
    expect(me).toMatchObject({ user: { id: added.userId, email: 'lost@acme.test' }, role: 'member' });

    const listed = (await admin.tokens.list()).filter((t) => t.userId === added.userId);
    expect(listed.map((t) => t.name).sort()).toEqual(['first token of lost@acme.test', 'token of lost@acme.test']);
    expect(JSON.stringify(listed)).not.toContain(issued.token);
    const audit = (await admin.audit.list({ targetId: issued.id })).items;
    expect(audit.map((e) => [e.action, e.actorId, e.metadata.userId])).toEqual([
      ['token.create', app.orgA.adminUserId, added.userId],
    ]);

    await admin.tokens.revoke({ id: first.id });
    await expectTRPCError(app.caller(added.token).me(), 'UNAUTHORIZED');
    expect((await app.caller(issued.token).me()).user.id).toBe(added.userId);
  });

  it('with an expiry is refused at sign-in once it has passed; an expiry already past is a field error', async () => {
    const added = await admin.members.add({ email: 'brief@acme.test', role: 'member' });
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const issued = await admin.members.issueToken({ userId: added.userId, name: 'laptop', expiresAt });
    expect((await admin.tokens.list()).find((t) => t.id === issued.id)).toMatchObject({ name: 'laptop', expiresAt });
    expect((await app.caller(issued.token).me()).role).toBe('member');
    await new Promise((r) => setTimeout(r, 1_600));
    await expectTRPCError(app.caller(issued.token).me(), 'UNAUTHORIZED');

    const past = await expectTRPCError(
      admin.members.issueToken({ userId: added.userId, expiresAt: new Date(Date.now() - 1_000).toISOString() }),
      'BAD_REQUEST',
    );
    expect(past.message).toMatch(/expiresAt must be in the future/);
  });

  it('is NOT_FOUND for someone not in the org, including a member of another org', async () => {
    await expectTRPCError(admin.members.issueToken({ userId: app.orgB.memberUserId }), 'NOT_FOUND');
    await expectTRPCError(
      app.caller(app.orgB.adminToken).members.issueToken({ userId: app.orgA.memberUserId }),
      'NOT_FOUND',
    );
    const removed = await admin.members.add({ email: 'gone@acme.test', role: 'member' });
    await admin.members.remove({ userId: removed.userId });
    await expectTRPCError(admin.members.issueToken({ userId: removed.userId }), 'NOT_FOUND');
  });
});
