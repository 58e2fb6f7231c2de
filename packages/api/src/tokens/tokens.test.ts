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

describe('tokens', () => {
  it('are shown once, stored as hashes, and listed as metadata with a hint', async () => {
    const { id, token } = await admin.tokens.create({ name: 'ci', kind: 'worker' });
    expect(token).toMatch(/^srw_[A-Za-z0-9_-]{43}$/);
    const listed = (await admin.tokens.list()).find((t) => t.id === id)!;
    expect(listed).toMatchObject({ name: 'ci', kind: 'worker', hint: `${token.slice(0, 8)}…`, revokedAt: null });
    expect(JSON.stringify(await admin.tokens.list())).not.toContain(token);
    const row = await app.deps.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(Buffer.from(row.token_hash).toString('hex')).toHaveLength(64);
  });

  it('a revoked token is refused at once, even though it was just trusted', async () => {
    const { id, token } = await admin.tokens.create({ name: 'revoke-me', kind: 'user' });
    expect((await app.caller(token).me()).role).toBe('admin');
    await admin.tokens.revoke({ id });
    await expectTRPCError(app.caller(token).me(), 'UNAUTHORIZED');
    expect((await admin.tokens.list()).find((t) => t.id === id)!.revokedAt).not.toBeNull();
  });

  it('an expired token is refused, even while trusted', async () => {
    const { token } = await admin.tokens.create({
      name: 'brief',
      kind: 'user',
      expiresAt: new Date(Date.now() + 1_500).toISOString(),
    });
    expect((await app.caller(token).me()).role).toBe('admin');
    await new Promise((r) => setTimeout(r, 1_600));
    await expectTRPCError(app.caller(token).me(), 'UNAUTHORIZED');
  });

  it('removing a member or changing their role takes effect on their next request', async () => {
    const added = await admin.members.add({ email: 'temp@acme.test', role: 'admin' });
    expect((await app.caller(added.token).me()).role).toBe('admin');
    await admin.members.setRole({ userId: added.userId, role: 'member' });
    await expectTRPCError(app.caller(added.token).secrets.list({}), 'FORBIDDEN');
    await admin.members.remove({ userId: added.userId });
    await expectTRPCError(app.caller(added.token).me(), 'UNAUTHORIZED');
  });

  it('records when a token was last used, at most once a minute', async () => {
    const { id, token } = await admin.tokens.create({ name: 'used', kind: 'user' });
    await app.caller(token).me();
    const first = (await admin.tokens.list()).find((t) => t.id === id)!.lastUsedAt;
    expect(first).not.toBeNull();
    await app.caller(token).me();
    expect((await admin.tokens.list()).find((t) => t.id === id)!.lastUsedAt).toBe(first);
  });

  it('keeps the last admin', async () => {
    const err = await expectTRPCError(
      admin.members.setRole({ userId: app.orgA.adminUserId, role: 'member' }),
      'CONFLICT',
    );
    expect(err.message).toMatch(/last admin/);
    await expectTRPCError(admin.members.remove({ userId: app.orgA.adminUserId }), 'CONFLICT');
  });
});
