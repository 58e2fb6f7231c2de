import { createStrongroomClient, isStrongroomError } from '@strongroom/client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeps } from '../app';
import { createContextInner } from '../core/context';
import { createLogger } from '../core/logger';
import { setInfraSecret } from '../infra-secrets/service';
import { createCaller } from '../router';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestAgent, createTestApp, startTestServer, type TestApp } from '../../test/support/harness';
import { runCli } from '../../test/support/processes';

let app: TestApp;
let admin: ReturnType<TestApp['caller']>;
let worker: ReturnType<TestApp['caller']>;
let agentId: string;
let otherAgentId: string;
let chatId: string;
let otherChatId: string;

beforeAll(async () => {
  app = await createTestApp();
  admin = app.caller(app.orgA.adminToken);
  worker = app.caller(app.orgA.workerToken);
  agentId = await createTestAgent(app, app.orgA);
  otherAgentId = await createTestAgent(app, app.orgA);
  chatId = (await admin.groups.create({ name: 'support chat' })).id;
  otherChatId = (await admin.groups.create({ name: 'sales chat' })).id;
});
afterAll(() => app.close());

const auditOf = (action: string, targetId: string) =>
  app.deps.db
    .selectFrom('audit_log')
    .select(['metadata', 'actor_type'])
    .where('action', '=', action)
    .where('target_id', '=', targetId)
    .execute();

describe('internal.resolveSecret', () => {
  it('an agent-scope secret resolves for any agent of the org, audited with agent, chat and run', async () => {
    const { id } = await admin.secrets.create({ name: 'shared-tool-key', value: 'tool-key', scope: 'agent' });
    const got = await worker.internal.resolveSecret({
      orgId: app.orgA.orgId,
      secretId: id,
      agentId,
      chatId,
      runId: 'run-1',
    });
    expect(got).toEqual({ id, version: 1, value: 'tool-key' });
    expect(
      (await worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: id, agentId: otherAgentId })).value,
    ).toBe('tool-key');
    const rows = await auditOf('secret.access', id);
    expect(rows[0]).toMatchObject({ actor_type: 'worker', metadata: { agentId, chatId, runId: 'run-1', version: 1 } });
    expect(JSON.stringify(rows)).not.toContain('tool-key');
  });

  it('an org-scope secret needs a grant: to the chat it resolves for that chat only; revoked, it is refused again', async () => {
    const { id } = await admin.secrets.create({ name: 'chat-only', value: 'chat-value', scope: 'org' });
    const req = { orgId: app.orgA.orgId, secretId: id, agentId };
    const denied = await expectTRPCError(worker.internal.resolveSecret({ ...req, chatId }), 'FORBIDDEN');
    expect(denied.message).toMatch(/no grant names this agent or chat/);
    await admin.grants.add({ secretId: id, granteeType: 'group', granteeId: chatId });
    expect((await worker.internal.resolveSecret({ ...req, chatId })).value).toBe('chat-value');
    await expectTRPCError(worker.internal.resolveSecret({ ...req, chatId: otherChatId }), 'FORBIDDEN');
    await expectTRPCError(worker.internal.resolveSecret(req), 'FORBIDDEN');
    await admin.grants.remove({ secretId: id, granteeType: 'group', granteeId: chatId });
    await expectTRPCError(worker.internal.resolveSecret({ ...req, chatId }), 'FORBIDDEN');
    expect((await auditOf('secret.access_denied', id)).length).toBe(4);
  });

  it('a grant to the agent resolves in any chat, for that agent only', async () => {
    const { id } = await admin.secrets.create({ name: 'agent-grant', value: 'agent-value', scope: 'org' });
    await admin.grants.add({ secretId: id, granteeType: 'agent', granteeId: agentId });
    const req = { orgId: app.orgA.orgId, secretId: id };
    expect((await worker.internal.resolveSecret({ ...req, agentId, chatId: otherChatId })).value).toBe('agent-value');
    await expectTRPCError(worker.internal.resolveSecret({ ...req, agentId: otherAgentId }), 'FORBIDDEN');
  });

  it('another org: its worker finds nothing, and ids of another org look missing', async () => {
    const { id } = await admin.secrets.create({ name: 'acme-only', value: 'acme', scope: 'agent' });
    const globex = app.caller(app.orgB.workerToken);
    await expectTRPCError(globex.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: id, agentId }), 'NOT_FOUND');
    const foreign = await expectTRPCError(
      globex.internal.resolveSecret({ orgId: app.orgB.orgId, secretId: id, agentId }),
      'NOT_FOUND',
    );
    const missing = await expectTRPCError(
      globex.internal.resolveSecret({ orgId: app.orgB.orgId, secretId: crypto.randomUUID(), agentId }),
      'NOT_FOUND',
    );
    expect(foreign.message).toBe(missing.message);
    await expectTRPCError(
      worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: id, agentId: crypto.randomUUID() }),
      'NOT_FOUND',
    );
    await expectTRPCError(
      worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: id, agentId, chatId: crypto.randomUUID() }),
      'NOT_FOUND',
    );
  });
});

describe('cached access decisions', () => {
  it('a change in the org ends a cached allow at once on this instance, and on another when its event arrives', async () => {
    const { id } = await admin.secrets.create({ name: 'cached-tool-key', value: 'cached-tool', scope: 'agent' });
    const req = { orgId: app.orgA.orgId, secretId: id, agentId };
    // Another instance on the same database, with its own cache and LISTEN connection.
    const other = await openDeps(app.deps.config, createLogger('silent'), {
      storage: app.storage,
      keyring: app.deps.keyring,
    });
    const otherWorker = createCaller(createContextInner({ deps: other, token: app.orgA.workerToken }));
    try {
      for (const w of [worker, otherWorker, worker, otherWorker])
        expect((await w.internal.resolveSecret(req)).value).toBe('cached-tool');
      // The secret becomes a provider's key: only agents on that provider may have it now.
      await admin.providers.create({
        name: 'now-uses-cached',
        providerType: 'cloudflare-ai-gateway',
        kind: 'openai',
        secretRef: id,
        config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'test-gateway' },
      });
      await expectTRPCError(worker.internal.resolveSecret(req), 'FORBIDDEN');
      const deadline = Date.now() + 5_000;
      let refused = false;
      while (!refused && Date.now() < deadline) {
        refused = await otherWorker.internal.resolveSecret(req).then(
          () => false,
          () => true,
        );
        if (!refused) await new Promise((r) => setTimeout(r, 20));
      }
      expect(refused, 'the other instance still allowed it 5 s after the change').toBe(true);
      await expectTRPCError(otherWorker.internal.resolveSecret(req), 'FORBIDDEN');
      // Every resolve was audited, cached decision or not.
      expect((await auditOf('secret.access', id)).length).toBe(4);
    } finally {
      await other.events.stop();
    }
  });
});

describe('provider keys and MCP tokens', () => {
  it('resolve only through the provider or MCP server that references them, for an agent that uses it', async () => {
    const mcpToken = await admin.secrets.create({ name: 'mcp-token-ref', value: 'mcp-token', scope: 'agent' });
    const server = await admin.mcpServers.create({
      name: 'tools',
      url: 'https://tools.example.test/mcp',
      secretRef: mcpToken.id,
    });
    const user = await createTestAgent(app, app.orgA, [server.id]);
    const config = await worker.internal.agentRuntimeConfig({ orgId: app.orgA.orgId, agentId: user, chatId });
    expect(config).toMatchObject({
      model: 'openai/gpt-4o-mini',
      provider: { kind: 'openai', needsConfiguration: false, secretVersion: 1, config: { gateway: 'test-gateway' } },
      mcpServers: [{ id: server.id, secretRef: mcpToken.id, secretVersion: 1, hasLegacyToken: false }],
    });
    expect(JSON.stringify(config)).not.toMatch(/sk-test|mcp-token"/);
    const providerKey = config.provider.secretRef!;

    // The provider key: for the agent on that provider, not for another agent even though it is agent-scope.
    expect(
      (await worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: providerKey, agentId: user })).value,
    ).toMatch(/^sk-test-/);
    const denied = await expectTRPCError(
      worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: providerKey, agentId }),
      'FORBIDDEN',
    );
    expect(denied.message).toMatch(/provider or MCP server this agent does not use/);
    // The MCP token: for agents that attached the server.
    expect(
      (await worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: mcpToken.id, agentId: user })).value,
    ).toBe('mcp-token');
    await expectTRPCError(
      worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: mcpToken.id, agentId }),
      'FORBIDDEN',
    );
    expect(
      await worker.internal.resolveMcpToken({ orgId: app.orgA.orgId, agentId: user, mcpServerId: server.id }),
    ).toEqual({
      value: 'mcp-token',
      secretId: mcpToken.id,
      version: 1,
      // A bearer token does not expire (issue 13 adds expiresAt for OAuth access tokens).
      expiresAt: null,
    });
    await expectTRPCError(
      worker.internal.resolveMcpToken({ orgId: app.orgA.orgId, agentId, mcpServerId: server.id }),
      'NOT_FOUND',
    );
  });

  it('an agent of another org, or a chat of another org, is not found', async () => {
    const theirs = await createTestAgent(app, app.orgB);
    await expectTRPCError(worker.internal.agentRuntimeConfig({ orgId: app.orgA.orgId, agentId: theirs }), 'NOT_FOUND');
    await expectTRPCError(
      worker.internal.agentRuntimeConfig({ orgId: app.orgA.orgId, agentId, chatId: crypto.randomUUID() }),
      'NOT_FOUND',
    );
  });
});

describe('internal.secretVersions and internal.events', () => {
  it('tells versions of the org’s secrets only', async () => {
    const { id } = await admin.secrets.create({ name: 'versioned', value: 'a', scope: 'agent' });
    await admin.secrets.update({ id, value: 'b' });
    const foreign = await app.caller(app.orgB.adminToken).secrets.create({ name: 'x', value: 'y', scope: 'agent' });
    expect(await worker.internal.secretVersions({ orgId: app.orgA.orgId, ids: [id, foreign.id] })).toEqual({ [id]: 2 });
  });

  it('streams changes and deletes of the worker’s org over SSE, after commit, with no values', async () => {
    const server = await startTestServer(app);
    const received: unknown[] = [];
    const client = createStrongroomClient({ url: server.url, token: app.orgA.workerToken });
    let onStarted!: () => void;
    const started = new Promise<void>((resolve) => (onStarted = resolve));
    const sub = client.internal.events.subscribe(
      { orgId: app.orgA.orgId },
      {
        onStarted: () => onStarted(),
        onData: (e) => received.push(e),
        onError: (e) => received.push({ error: String(e) }),
      },
    );
    try {
      await Promise.race([
        started,
        new Promise((_, reject) => setTimeout(() => reject(new Error('subscription did not start')), 5_000)),
      ]);
      const { id } = await admin.secrets.create({ name: 'watched', value: 'first-value', scope: 'agent' });
      await admin.secrets.update({ id, value: 'second-value' });
      await app.caller(app.orgB.adminToken).secrets.create({ name: 'elsewhere', value: 'z', scope: 'agent' });
      await sql`select 1`.execute(app.deps.db);
      await admin.secrets.delete({ id });
      const deadline = Date.now() + 3_000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(received).toEqual([
        { type: 'secret.changed', orgId: app.orgA.orgId, id, version: 2 },
        { type: 'secret.deleted', orgId: app.orgA.orgId, id, version: 2 },
      ]);
      const foreign = await createStrongroomClient({ url: server.url, token: app.orgB.workerToken })
        .internal.secretVersions.query({ orgId: app.orgA.orgId, ids: [] })
        .catch((e: unknown) => e);
      expect(isStrongroomError(foreign, 'NOT_FOUND')).toBe(true);
      // Closing the server ends open subscriptions instead of waiting for them.
      const closing = Date.now();
      await server.close();
      expect(Date.now() - closing).toBeLessThan(2_000);
    } finally {
      sub.unsubscribe();
      await server.close();
    }
  });
});

describe('infra secrets', () => {
  it('a worker reads the AI Gateway token; each read is audited without the value', async () => {
    await setInfraSecret(app.deps, 'ai-gateway-token', 'gw-token-1');
    await setInfraSecret(app.deps, 'ai-gateway-token', 'gw-token-2');
    expect(await worker.internal.infraSecret({ name: 'ai-gateway-token' })).toEqual({
      name: 'ai-gateway-token',
      version: 2,
      value: 'gw-token-2',
    });
    await expectTRPCError(worker.internal.infraSecret({ name: 'missing' }), 'NOT_FOUND');
    await expectTRPCError(admin.internal.infraSecret({ name: 'ai-gateway-token' }), 'FORBIDDEN');
    const rows = await auditOf('secret.access', 'ai-gateway-token');
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(await app.deps.db.selectFrom('audit_log').selectAll().execute())).not.toContain('gw-token');
  });

  it('`strongroom infra-secret set` takes the value from standard input only', async () => {
    const refused = await runCli(['infra-secret', 'set', 'Bad Name'], { DATA_DIR: '/nonexistent' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/name must be/);
  });
});
