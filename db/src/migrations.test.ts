import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { LEGACY_MIGRATION, migrateTo, migrateToLatest, migrations, NO_MIGRATIONS } from './index';
import { openTestStorage, type TestStorage } from './testing';

let storage: TestStorage | undefined;
afterEach(async () => {
  await storage?.close();
  storage = undefined;
});

async function legacyDatabase() {
  storage = await openTestStorage({ migrated: false });
  await migrateTo(storage.db, LEGACY_MIGRATION);
  const db = storage.db as any;
  const [org] = await db.insertInto('orgs').values({ name: 'acme' }).returning('id').execute();
  const [user] = await db.insertInto('users').values({ email: 'ada@acme.test' }).returning('id').execute();
  await db.insertInto('org_members').values({ org_id: org.id, user_id: user.id, role: 'admin' }).execute();
  const [group] = await db.insertInto('groups').values({ org_id: org.id, name: 'support' }).returning('id').execute();
  await db.insertInto('group_members').values({ group_id: group.id, user_id: user.id }).execute();
  const [secret] = await db
    .insertInto('secrets')
    .values({ org_id: org.id, name: 'stripe', value: 'legacy-plaintext' })
    .returning('id')
    .execute();
  await db.insertInto('chat_secrets').values({ group_id: group.id, secret_id: secret.id }).execute();
  const [mcp] = await db
    .insertInto('mcp_servers')
    .values({ org_id: org.id, name: 'tools', url: 'https://mcp.acme.test', token: 'raw-mcp-token' })
    .returning('id')
    .execute();
  const [agent] = await db
    .insertInto('agents')
    .values({ org_id: org.id, name: 'helper', model: 'gpt-4o', llm_api_key: 'sk-raw', llm_secret_id: secret.id })
    .returning('id')
    .execute();
  await db.insertInto('agent_mcp_servers').values({ agent_id: agent.id, mcp_server_id: mcp.id }).execute();
  return { org, user, group, secret, mcp, agent };
}

describe('migrations', () => {
  it('names every migration with a sortable ISO-timestamp prefix', () => {
    for (const name of Object.keys(migrations))
      expect(name).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[a-z0-9-]+$/);
  });

  it('upgrades a legacy database as far as it may without losing a row; the purge waits for the backfill', async () => {
    const legacy = await legacyDatabase();
    const outcome = await migrateToLatest(storage!.db);
    // Everything up to the purge applies; the purge and every migration after it wait.
    const names = Object.keys(migrations);
    expect(outcome.applied).toEqual(names.slice(1, names.indexOf('2026-11-20T00-00-00-drop-legacy-credentials')));
    expect(outcome.blocked).toMatchObject({ name: '2026-11-20T00-00-00-drop-legacy-credentials' });
    expect(outcome.blocked!.reason).toMatch(/1 MCP server\(s\) still hold a legacy token: "tools"/);
    const db = storage!.db as Kysely<any>;

    const secret = await db
      .selectFrom('secrets')
      .selectAll()
      .where('id', '=', legacy.secret.id)
      .executeTakeFirstOrThrow();
    expect(secret).toMatchObject({
      name: 'stripe',
      legacy_value: 'legacy-plaintext',
      value: null,
      version: 1,
      namespace: 'default',
    });
    const grants = await db.selectFrom('secret_grants').selectAll().execute();
    expect(grants).toEqual([
      expect.objectContaining({ secret_id: legacy.secret.id, grantee_type: 'group', grantee_id: legacy.group.id }),
    ]);
    expect(await db.selectFrom('org_members').select('role').execute()).toEqual([{ role: 'admin' }]);
    expect(await db.selectFrom('group_members').selectAll().execute()).toHaveLength(1);
    expect(await db.selectFrom('agent_mcp_servers').selectAll().execute()).toHaveLength(1);
    const mcp = await db.selectFrom('mcp_servers').selectAll().executeTakeFirstOrThrow();
    expect(mcp).toMatchObject({ url: 'https://mcp.acme.test', token: 'raw-mcp-token', secret_ref: null });
    // The agent has a provider now; its raw key waits, unsealed, in a secret of its own.
    const agent = await db.selectFrom('agents').selectAll().where('id', '=', legacy.agent.id).executeTakeFirstOrThrow();
    expect(agent).toMatchObject({ model_id: 'gpt-4o', llm_api_key: null });
    const provider = await db
      .selectFrom('providers')
      .selectAll()
      .where('id', '=', agent.provider_id)
      .executeTakeFirstOrThrow();
    expect(provider).toMatchObject({ kind: 'openai', needs_configuration: true });
    const key = await db
      .selectFrom('secrets')
      .selectAll()
      .where('id', '=', provider.secret_ref)
      .executeTakeFirstOrThrow();
    expect(key).toMatchObject({ scope: 'agent', legacy_value: 'sk-raw', namespace: 'migrated' });
  });

  it('rolls every migration back down to nothing and up again', async () => {
    storage = await openTestStorage({ migrated: false });
    await migrateToLatest(storage.db);
    await migrateTo(storage.db, NO_MIGRATIONS);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables
      where table_schema = 'public' and table_name not like 'kysely_%'`.execute(storage.db);
    expect(rows[0]?.n).toBe(0);
    expect((await migrateToLatest(storage.db)).applied).toHaveLength(Object.keys(migrations).length);
  });

  it('keeps the audit log append-only at the database level', async () => {
    storage = await openTestStorage();
    await storage.db
      .insertInto('audit_log')
      .values({
        seq: 1,
        actor_type: 'system',
        action: 'test',
        prev_hash: '0',
        hash: '1',
        created_at: new Date(),
        metadata: '{}',
      })
      .execute();
    await expect(storage.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    await expect(storage.db.updateTable('audit_log').set({ hash: 'x' }).execute()).rejects.toThrow(/append-only/);
  });

  it('keeps a write-only secret write-only and rotation periods in range at the database level', async () => {
    storage = await openTestStorage();
    const db = storage.db;
    const org = await db.insertInto('orgs').values({ name: 'acme' }).returning('id').executeTakeFirstOrThrow();
    const secret = await db
      .insertInto('secrets')
      .values({ org_id: org.id, name: 'k', scope: 'org', value: new Uint8Array([1]), kek_id: 'k1' })
      .returning(['id', 'revealable', 'rotation_period_days'])
      .executeTakeFirstOrThrow();
    expect(secret).toMatchObject({ revealable: true, rotation_period_days: null });
    const set = (changes: { revealable?: boolean; rotation_period_days?: number }) =>
      db.updateTable('secrets').set(changes).where('id', '=', secret.id).execute();
    await set({ revealable: false });
    await set({ revealable: false });
    await expect(set({ revealable: true })).rejects.toThrow(/cannot be made revealable again/);
    await set({ rotation_period_days: 1 });
    await expect(set({ rotation_period_days: 0 })).rejects.toThrow(/check constraint/);
  });
});
