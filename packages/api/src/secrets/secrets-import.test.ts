import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCanary, makeCanary } from '../../test/support/canary';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestApp, type TestApp } from '../../test/support/harness';

let app: TestApp;
let admin: ReturnType<TestApp['caller']>;

beforeAll(async () => {
  app = await createTestApp();
  admin = app.caller(app.orgA.adminToken);
});
afterAll(() => app.close());

const namesIn = async (namespace: string) =>
  (await admin.secrets.list({ namespace, limit: 200 })).items.map((s) => s.name).sort();

const auditRows = (action: string) =>
  app.deps.db
    .selectFrom('audit_log')
    .select(['action', 'target_id', 'metadata'])
    .where('org_id', '=', app.orgA.orgId)
    .where('action', '=', action)
    .execute();

const valueOf = async (namespace: string, name: string) => {
  const { items } = await admin.secrets.list({ namespace, search: name });
  const secret = items.find((s) => s.name === name)!;
  return (await admin.secrets.reveal({ id: secret.id })).value;
};

describe('secrets.import', () => {
  it('previews new, changed and unchanged names without writing, then applies all of them', async () => {
    await admin.secrets.create({ name: 'SAME', value: 'same', scope: 'org', namespace: 'imp' });
    await admin.secrets.create({ name: 'OLD', value: 'before', scope: 'org', namespace: 'imp' });
    const content = 'NEW=fresh\nSAME=same\nOLD=after\n';
    const input = { namespace: 'imp', scope: 'agent', format: 'dotenv', content, onConflict: 'update' } as const;
    const preview = await admin.secrets.import({ ...input, dryRun: true });
    expect(preview).toEqual({
      applied: false,
      results: [
        { name: 'NEW', status: 'created' },
        { name: 'SAME', status: 'unchanged' },
        { name: 'OLD', status: 'updated' },
      ],
    });
    expect(await namesIn('imp')).toEqual(['OLD', 'SAME']);
    expect(await valueOf('imp', 'OLD')).toBe('before');

    const applied = await admin.secrets.import(input);
    expect(applied).toEqual({ ...preview, applied: true });
    expect(await namesIn('imp')).toEqual(['NEW', 'OLD', 'SAME']);
    expect(await valueOf('imp', 'OLD')).toBe('after');
    const created = (await admin.secrets.list({ namespace: 'imp', search: 'NEW' })).items[0]!;
    expect(created).toMatchObject({ scope: 'agent', version: 1, revealable: true });
    const same = (await admin.secrets.list({ namespace: 'imp', search: 'SAME' })).items[0]!;
    expect(same.version).toBe(1);
  });

  it('skips or refuses changed names as asked; refusing writes nothing', async () => {
    await admin.secrets.create({ name: 'KEEP', value: 'mine', scope: 'org', namespace: 'conf' });
    const input = { namespace: 'conf', scope: 'org', format: 'json', content: '{"KEEP":"theirs","ADD":"a"}' } as const;
    const preview = await admin.secrets.import({ ...input, dryRun: true });
    expect(preview.results).toEqual([
      { name: 'KEEP', status: 'conflict' },
      { name: 'ADD', status: 'created' },
    ]);
    const err = await expectTRPCError(admin.secrets.import(input), 'CONFLICT');
    expect(err.message).toMatch(/"KEEP"/);
    expect(err.message).not.toContain('theirs');
    expect(await namesIn('conf')).toEqual(['KEEP']);

    const skipped = await admin.secrets.import({ ...input, onConflict: 'skip' });
    expect(skipped.results).toEqual([
      { name: 'KEEP', status: 'skipped' },
      { name: 'ADD', status: 'created' },
    ]);
    expect(await valueOf('conf', 'KEEP')).toBe('mine');
  });

  it('is all or nothing: an import whose 500th entry is invalid writes nothing and names its line', async () => {
    const lines = Array.from({ length: 600 }, (_, i) => (i === 499 ? '_BAD=x' : `ATOM_${i}=v${i}`));
    const err = await expectTRPCError(
      admin.secrets.import({ namespace: 'atomic', scope: 'org', format: 'dotenv', content: lines.join('\n') }),
      'BAD_REQUEST',
    );
    expect(err.message).toMatch(/^line 500 \("_BAD"\): the name may contain only/);
    expect(err.cause).toMatchObject({ field: 'content' });
    expect(await namesIn('atomic')).toEqual([]);
  });

  it('rolls back every write when one fails mid-import', async () => {
    // A database failure on the third write, after two secrets and their audit rows were written.
    await sql`create function test_refuse_boom() returns trigger language plpgsql as $$
      begin if new.name = 'BOOM' then raise exception 'refused by test'; end if; return new; end; $$`.execute(
      app.deps.db,
    );
    await sql`create trigger test_refuse_boom before insert on secrets
      for each row execute function test_refuse_boom()`.execute(app.deps.db);
    const audits = await app.deps.db.selectFrom('audit_log').select('id').execute();
    try {
      await expectTRPCError(
        admin.secrets.import({ namespace: 'mid', scope: 'org', format: 'dotenv', content: 'A1=1\nA2=2\nBOOM=3\n' }),
        'INTERNAL_SERVER_ERROR',
      );
    } finally {
      await sql`drop trigger test_refuse_boom on secrets`.execute(app.deps.db);
      await sql`drop function test_refuse_boom()`.execute(app.deps.db);
    }
    expect(await namesIn('mid')).toEqual([]);
    expect(await app.deps.db.selectFrom('audit_log').select('id').execute()).toHaveLength(audits.length);
  });

  it('audits one secret.import row plus the usual per-secret rows, with no value anywhere', async () => {
    const canary = makeCanary('import');
    const changed = makeCanary('import-changed');
    await admin.secrets.create({ name: 'ROT', value: canary, scope: 'org', namespace: 'audit-imp' });
    const imports = (await auditRows('secret.import')).length;
    await admin.secrets.import({
      namespace: 'audit-imp',
      scope: 'org',
      format: 'dotenv',
      content: `NEW_ONE=${canary}\nROT=${changed}\n`,
      onConflict: 'update',
    });
    const rows = await auditRows('secret.import');
    expect(rows).toHaveLength(imports + 1);
    expect(rows.at(-1)!.metadata).toMatchObject({
      namespace: 'audit-imp',
      format: 'dotenv',
      counts: { created: 1, updated: 1, unchanged: 0, skipped: 0 },
    });
    const created = (await admin.secrets.list({ namespace: 'audit-imp', search: 'NEW_ONE' })).items[0]!;
    const rotated = (await admin.secrets.list({ namespace: 'audit-imp', search: 'ROT' })).items[0]!;
    expect((await auditRows('secret.create')).some((r) => r.target_id === created.id)).toBe(true);
    expect((await auditRows('secret.rotate')).some((r) => r.target_id === rotated.id)).toBe(true);
    const everything = await app.deps.db.selectFrom('audit_log').selectAll().execute();
    expect(findCanary(JSON.stringify(everything), canary)).toEqual([]);
    expect(findCanary(JSON.stringify(everything), changed)).toEqual([]);
    expect(findCanary(app.logs.join('\n'), canary)).toEqual([]);
    expect(findCanary(app.logs.join('\n'), changed)).toEqual([]);
  });

  it('never compares a write-only value: an import can not confirm a guess of it', async () => {
    const { id } = await admin.secrets.create({
      name: 'HIDDEN',
      value: 'guess-me',
      scope: 'org',
      namespace: 'wo-imp',
      revealable: false,
    });
    const guess = { namespace: 'wo-imp', scope: 'org', format: 'dotenv', content: 'HIDDEN=guess-me' } as const;
    expect((await admin.secrets.import({ ...guess, dryRun: true })).results).toEqual([
      { name: 'HIDDEN', status: 'conflict' },
    ]);
    await admin.secrets.import({ ...guess, onConflict: 'update' });
    expect((await admin.secrets.get({ id })).version).toBe(2);
  });

  it('bounds the content and the entries with clear errors, and is for admins only', async () => {
    const input = { namespace: 'big', scope: 'org', format: 'dotenv' } as const;
    const huge = `A=${'x'.repeat(512 * 1024)}`;
    const tooBig = await expectTRPCError(admin.secrets.import({ ...input, content: huge }), 'BAD_REQUEST');
    expect(tooBig.cause).toMatchObject({ issues: [{ path: ['content'], message: 'must be at most 512 KiB' }] });
    const many = Array.from({ length: 1001 }, (_, i) => `K${i}=v`).join('\n');
    const tooMany = await expectTRPCError(admin.secrets.import({ ...input, content: many }), 'BAD_REQUEST');
    expect(tooMany.message).toMatch(/1001 entries; an import takes at most 1000/);
    const member = app.caller(app.orgA.memberToken);
    await expectTRPCError(member.secrets.import({ ...input, content: 'A=1' }), 'FORBIDDEN');
  });
});
