import { BEFORE_LEGACY_PURGE, LEGACY_MIGRATION, migrateTo, migrateToLatest, migrations } from '@strongroom/db';
import { openTestStorage } from '@strongroom/db/testing';
import { startMcpTestServer, type TestServer } from '@strongroom/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../core/actor';
import { mcpCredential } from '../mcp-servers/credentials';
import { dumpAllTables, findCanary, makeCanary } from '../../test/support/canary';
import { createTestApp, type TestApp } from '../../test/support/harness';
import { issueToken } from '../tokens/service';
import { backfillMcpTokens, verifyMcpTokens } from './mcp-tokens';

/**
 * The whole upgrade of a legacy database: legacy rows → migrate → dual read → backfill (cut short
 * once) → verify → purge migration. No token lost, none duplicated, no plaintext left anywhere.
 */
const MCP_TOKEN = makeCanary('legacy-mcp-token');
const RAW_KEY = makeCanary('legacy-raw-llm-key');
const LEGACY_SECRET = makeCanary('legacy-secret-value');
const OTHER_TOKENS = [makeCanary('legacy-mcp-b'), makeCanary('legacy-mcp-c')];
let mcp: TestServer;
let app: TestApp;
let orgId: string;
let serverIds: string[];
let admin: ReturnType<TestApp['caller']>;

beforeAll(async () => {
  mcp = await startMcpTestServer({ token: MCP_TOKEN });
  const storage = await openTestStorage({ migrated: false });
  await migrateTo(storage.db, LEGACY_MIGRATION);
  const db = storage.db as any;
  const [org] = await db.insertInto('orgs').values({ name: 'legacy co' }).returning('id').execute();
  orgId = org.id;
  const [user] = await db.insertInto('users').values({ email: 'owner@legacy.test' }).returning('id').execute();
  await db.insertInto('org_members').values({ org_id: orgId, user_id: user.id, role: 'admin' }).execute();
  const [secret] = await db
    .insertInto('secrets')
    .values({ org_id: orgId, name: 'anthropic', value: LEGACY_SECRET })
    .returning('id')
    .execute();
  serverIds = [];
  for (const [name, url, token] of [
    ['Live tools', mcp.url, MCP_TOKEN],
    ['Search', 'https://search.example.test/mcp', OTHER_TOKENS[0]],
    ['CRM', 'https://crm.example.test/mcp', OTHER_TOKENS[1]],
  ]) {
    const [row] = await db
      .insertInto('mcp_servers')
      .values({ org_id: orgId, name, url, token })
      .returning('id')
      .execute();
    serverIds.push(row.id);
  }
  await db
    .insertInto('agents')
    .values([
      { org_id: orgId, name: 'raw key agent', llm_provider: 'openai', model: 'gpt-4o', llm_api_key: RAW_KEY },
      {
        org_id: orgId,
        name: 'same raw key',
        llm_provider: 'openai',
        model: 'openai/gpt-4o-mini',
        llm_api_key: RAW_KEY,
      },
      {
        org_id: orgId,
        name: 'secret agent',
        llm_provider: 'anthropic',
        model: 'claude-sonnet',
        llm_secret_id: secret.id,
      },
    ])
    .execute();
  await migrateTo(storage.db, BEFORE_LEGACY_PURGE);

  // The server starts: it migrates as far as it may (the purge waits) and seals legacy plaintext.
  app = await createTestApp({ storage, env: { MCP_ALLOWED_HOSTS: '127.0.0.1' } });
  const token = await app.deps.db
    .transaction()
    .execute((trx) =>
      issueToken(trx, app.deps.auditKeys, systemActor(orgId), { orgId, kind: 'user', userId: user.id, name: 'test' }),
    );
  admin = app.caller(token.token);
});
afterAll(async () => {
  await app.close();
  await mcp.close();
});

describe('legacy upgrade path', () => {
  it('legacy agents get providers (to be configured), one per distinct key; raw keys are sealed and cleared', async () => {
    const agents = await admin.agents.list();
    expect(agents.map((a) => a.model).sort()).toEqual([
      'anthropic/claude-sonnet',
      'openai/gpt-4o',
      'openai/gpt-4o-mini',
    ]);
    const providers = await admin.providers.list();
    expect(providers).toHaveLength(2);
    expect(providers.every((p) => p.needsConfiguration && p.secretRef)).toBe(true);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from agents where to_jsonb(agents) ->> 'llm_api_key' is not null`.execute(app.deps.db);
    expect(rows[0]!.n).toBe(0);
    const openaiKey = providers.find((p) => p.kind === 'openai')!.secretRef!;
    expect((await admin.secrets.reveal({ id: openaiKey })).value).toBe(RAW_KEY);
  });

  it('dual read: servers keep working on their legacy token until backfilled', async () => {
    const listed = await admin.mcpServers.list();
    expect(listed.every((s) => s.hasLegacyToken && s.secretRef === null)).toBe(true);
    expect(JSON.stringify(listed)).not.toContain(MCP_TOKEN);
    expect(await mcpCredential(app.deps, orgId, serverIds[0]!)).toMatchObject({ source: 'legacy', token: MCP_TOKEN });
    expect(await admin.mcpServers.validate({ id: serverIds[0]! })).toMatchObject({ ok: true });
    expect(app.logs.join('\n')).toContain(`"mcpServerId":"${serverIds[0]}"`);
  });

  it('backfill cut short, then resumed: every token moved once', async () => {
    const dry = await backfillMcpTokens(app.deps, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, total: 3 });
    await expect(
      backfillMcpTokens(app.deps, {
        onProgress: (p) => {
          if (p.moved === 1) throw new Error('killed half-way');
        },
      }),
    ).rejects.toThrow('killed half-way');
    expect((await admin.mcpServers.list()).filter((s) => s.secretRef).length).toBe(1);
    const resumed = await backfillMcpTokens(app.deps);
    expect(resumed).toMatchObject({ total: 2, moved: 2, skipped: 0 });
    expect(await backfillMcpTokens(app.deps)).toMatchObject({ total: 0, moved: 0 });
    const secrets = await admin.secrets.list({ namespace: 'mcp' });
    expect(secrets.items).toHaveLength(3);
    expect(secrets.items.every((s) => s.usedBy.length === 1 && s.scope === 'agent')).toBe(true);
    expect(await mcpCredential(app.deps, orgId, serverIds[0]!)).toMatchObject({ source: 'secret', token: MCP_TOKEN });
    const audited = await admin.audit.list({ action: 'backfill.mcp_token' });
    expect(audited.items).toHaveLength(3);
  });

  it('the purge waits for verify, names the servers, then removes every plaintext', async () => {
    const blocked = await migrateToLatest(app.deps.db);
    expect(blocked.blocked?.reason).toMatch(/3 MCP server\(s\) still hold a legacy token: "CRM"/);
    const report = await verifyMcpTokens(app.deps);
    expect(report).toEqual({ verified: 3, problems: [] });
    const done = await migrateToLatest(app.deps.db);
    // The purge applies, then whatever came after it and waited behind it.
    const names = Object.keys(migrations);
    expect(done).toEqual({ applied: names.slice(names.indexOf('2026-11-20T00-00-00-drop-legacy-credentials')) });

    const everything = await dumpAllTables(app.storage);
    for (const canary of [MCP_TOKEN, RAW_KEY, LEGACY_SECRET, ...OTHER_TOKENS])
      expect(findCanary(everything, canary)).toEqual([]);
    expect((await admin.mcpServers.list()).every((s) => !s.hasLegacyToken && s.secretRef)).toBe(true);
    expect(await admin.mcpServers.validate({ id: serverIds[0]! })).toMatchObject({ ok: true });
    expect(await verifyMcpTokens(app.deps)).toEqual({ verified: 0, problems: [] });
    expect(await backfillMcpTokens(app.deps)).toMatchObject({ total: 0 });
  });
});

describe('backfill verify', () => {
  it('reports a server whose secret history no longer accounts for its token, and the purge keeps waiting', async () => {
    const storage = await openTestStorage({ migrated: false });
    await migrateTo(storage.db, BEFORE_LEGACY_PURGE);
    const [org] = await (storage.db as any)
      .insertInto('orgs')
      .values({ name: 'mismatch co' })
      .returning('id')
      .execute();
    const [server] = await (storage.db as any)
      .insertInto('mcp_servers')
      .values({ org_id: org.id, name: 'Mismatch', url: 'https://x.example.test/mcp', token: 'legacy-value' })
      .returning('id')
      .execute();
    const other = await createTestApp({ storage });
    try {
      await backfillMcpTokens(other.deps);
      const { secret_ref } = await other.deps.db
        .selectFrom('mcp_servers')
        .select('secret_ref')
        .where('id', '=', server.id)
        .executeTakeFirstOrThrow();
      await sql`delete from secret_versions where secret_id = ${secret_ref}`.execute(other.deps.db);
      const report = await verifyMcpTokens(other.deps);
      expect(report).toEqual({
        verified: 0,
        problems: [{ serverId: server.id, name: 'Mismatch', problem: expect.stringMatching(/inconsistent/) }],
      });
      expect((await migrateToLatest(other.deps.db)).blocked?.reason).toMatch(/"Mismatch"/);
    } finally {
      await other.close();
    }
  });
});
