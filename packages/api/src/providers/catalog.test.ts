import { startMcpTestServer, type TestServer } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestApp, type TestApp } from '../../test/support/harness';

const CONFIG = { accountId: '0123456789abcdef0123456789abcdef', gateway: 'prod-gateway' };
const MCP_TOKEN = 'mcp-bearer-token-for-tests';
let app: TestApp;
let admin: ReturnType<TestApp['caller']>;
let member: ReturnType<TestApp['caller']>;
let mcp: TestServer;
let keyId: string;

beforeAll(async () => {
  mcp = await startMcpTestServer({ token: MCP_TOKEN });
  app = await createTestApp({
    env: { MCP_ALLOWED_HOSTS: '127.0.0.1', MCP_CONNECT_TIMEOUT_MS: '800', MCP_REQUEST_TIMEOUT_MS: '800' },
  });
  admin = app.caller(app.orgA.adminToken);
  member = app.caller(app.orgA.memberToken);
  keyId = (await admin.secrets.create({ name: 'openai-key', value: 'sk-provider', scope: 'agent' })).id;
});
afterAll(async () => {
  await app.close();
  await mcp.close();
});

const newProvider = (name = 'OpenAI', secretRef = keyId) =>
  admin.providers.create({ name, providerType: 'cloudflare-ai-gateway', kind: 'openai', secretRef, config: CONFIG });

describe('provider catalog', () => {
  it('holds several entries of one type under names of their choosing, as metadata only', async () => {
    const a = await newProvider('OpenAI');
    const b = await newProvider('OpenAI');
    expect(a).toMatchObject({
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: keyId,
      config: CONFIG,
      needsConfiguration: false,
    });
    expect(a.id).not.toBe(b.id);
    const listed = await member.providers.list();
    expect(listed.map((p) => p.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(JSON.stringify(listed)).not.toContain('sk-provider');
    expect(await member.providers.get({ id: a.id })).toEqual(a);
  });

  it('validates kind and config, naming the field', async () => {
    const base = { name: 'x', providerType: 'cloudflare-ai-gateway' as const, secretRef: keyId, config: CONFIG };
    await expectTRPCError(admin.providers.create({ ...base, kind: 'openia' as never }), 'BAD_REQUEST');
    await expectTRPCError(
      admin.providers.create({ ...base, kind: 'openai', config: { ...CONFIG, accountId: 'nope' } }),
      'BAD_REQUEST',
    );
    await expectTRPCError(
      admin.providers.create({ ...base, kind: 'openai', providerType: 'direct' as never }),
      'BAD_REQUEST',
    );
  });

  it('takes only an agent-scope secret of the same org as its key; foreign looks missing', async () => {
    const orgScoped = await admin.secrets.create({ name: 'org-scoped', value: 'v', scope: 'org' });
    const scopeErr = await expectTRPCError(newProvider('x', orgScoped.id), 'BAD_REQUEST');
    expect(scopeErr.cause).toMatchObject({ field: 'secretRef' });
    const foreign = await app
      .caller(app.orgB.adminToken)
      .secrets.create({ name: 'theirs', value: 'v', scope: 'agent' });
    const foreignErr = await expectTRPCError(newProvider('x', foreign.id), 'BAD_REQUEST');
    const missingErr = await expectTRPCError(newProvider('x', crypto.randomUUID()), 'BAD_REQUEST');
    expect(foreignErr.message).toBe(missingErr.message);
  });

  it('members cannot mutate providers or MCP servers', async () => {
    const p = await newProvider();
    await expectTRPCError(
      member.providers.create({
        name: 'x',
        providerType: 'cloudflare-ai-gateway',
        kind: 'openai',
        secretRef: keyId,
        config: CONFIG,
      }),
      'FORBIDDEN',
    );
    await expectTRPCError(member.providers.update({ id: p.id, name: 'y' }), 'FORBIDDEN');
    await expectTRPCError(member.providers.delete({ id: p.id }), 'FORBIDDEN');
    await expectTRPCError(member.mcpServers.create({ name: 'x', url: mcp.url }), 'FORBIDDEN');
    await expectTRPCError(member.mcpServers.validate({ url: mcp.url }), 'FORBIDDEN');
  });
});

describe('agents', () => {
  it('require a provider of the same org and a model id; the model is kind/modelId', async () => {
    const p = await newProvider();
    const agent = await member.agents.create({
      name: 'Helper',
      providerId: p.id,
      modelId: 'gpt-5.2',
      instructions: 'Be kind.',
    });
    expect(agent).toMatchObject({
      providerId: p.id,
      provider: { kind: 'openai', name: 'OpenAI' },
      model: 'openai/gpt-5.2',
      mcpServerIds: [],
    });
    const foreign = await app.caller(app.orgB.adminToken).providers.create({
      name: 'theirs',
      providerType: 'cloudflare-ai-gateway',
      kind: 'anthropic',
      secretRef: (await app.caller(app.orgB.adminToken).secrets.create({ name: 'k', value: 'v', scope: 'agent' })).id,
      config: CONFIG,
    });
    const err = await expectTRPCError(
      member.agents.create({ name: 'x', providerId: foreign.id, modelId: 'm' }),
      'BAD_REQUEST',
    );
    expect(err.cause).toMatchObject({ field: 'providerId' });
    await expectTRPCError(member.agents.create({ name: 'x', modelId: 'm' } as never), 'BAD_REQUEST');
    await expectTRPCError(app.caller(app.orgB.adminToken).agents.get({ id: agent.id }), 'NOT_FOUND');
  });

  it('members edit agents and attach the org’s MCP servers only', async () => {
    const p = await newProvider();
    const server = await admin.mcpServers.create({ name: 'tools', url: mcp.url });
    const agent = await member.agents.create({ name: 'Editor', providerId: p.id, modelId: 'gpt-4o' });
    const updated = await member.agents.update({ id: agent.id, mcpServerIds: [server.id], modelId: 'gpt-4o-mini' });
    expect(updated).toMatchObject({ mcpServerIds: [server.id], model: 'openai/gpt-4o-mini' });
    const theirs = await app
      .caller(app.orgB.adminToken)
      .mcpServers.create({ name: 'x', url: 'https://mcp.example.test/mcp' });
    const err = await expectTRPCError(member.agents.update({ id: agent.id, mcpServerIds: [theirs.id] }), 'BAD_REQUEST');
    expect(err.cause).toMatchObject({ field: 'mcpServerIds' });
    expect(await member.agents.delete({ id: agent.id })).toEqual({ id: agent.id });
  });

  it('a provider in use cannot be deleted; the CONFLICT names the agents', async () => {
    const p = await newProvider('In use');
    await member.agents.create({ name: 'Dependent', providerId: p.id, modelId: 'gpt-4o' });
    const err = await expectTRPCError(admin.providers.delete({ id: p.id }), 'CONFLICT');
    expect(err.message).toMatch(/agent "Dependent"/);
    const unused = await newProvider('Unused');
    expect(await admin.providers.delete({ id: unused.id })).toEqual({ id: unused.id });
  });
});

describe('secret references', () => {
  it('a referenced secret lists its referrers in usedBy and cannot be deleted', async () => {
    const key = await admin.secrets.create({ name: 'shared-ref', value: 'v', scope: 'agent' });
    const p = await newProvider('Referrer', key.id);
    const server = await admin.mcpServers.create({ name: 'Referrer MCP', url: mcp.url, secretRef: key.id });
    expect((await admin.secrets.get({ id: key.id })).usedBy).toEqual(
      expect.arrayContaining([
        { type: 'provider', id: p.id, name: 'Referrer' },
        { type: 'mcpServer', id: server.id, name: 'Referrer MCP' },
      ]),
    );
    const err = await expectTRPCError(admin.secrets.delete({ id: key.id }), 'CONFLICT');
    expect(err.message).toMatch(/provider "Referrer"/);
    expect(err.message).toMatch(/MCP server "Referrer MCP"/);
    await admin.mcpServers.update({ id: server.id, secretRef: null });
    await admin.providers.delete({ id: p.id });
    expect(await admin.secrets.delete({ id: key.id })).toEqual({ id: key.id });
  });
});

describe('MCP servers', () => {
  it('validate with the right secret lists and stores the tools, audited without the token', async () => {
    const token = await admin.secrets.create({ name: 'mcp-token', value: MCP_TOKEN, scope: 'agent' });
    const server = await admin.mcpServers.create({ name: 'Tools', url: mcp.url, secretRef: token.id });
    expect(server).toMatchObject({ hasLegacyToken: false, tools: null, lastValidatedAt: null });
    expect(server).not.toHaveProperty('token');
    const result = await admin.mcpServers.validate({ id: server.id });
    expect(result).toMatchObject({
      ok: true,
      tools: expect.arrayContaining([{ name: 'echo', description: 'Echoes the text back' }]),
    });
    const stored = await member.mcpServers.get({ id: server.id });
    expect(stored.tools?.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'add', 'whoami']));
    expect(stored.lastValidatedAt).not.toBeNull();
    const audit = await admin.audit.list({ action: 'mcp.validate', targetId: server.id });
    expect(audit.items[0]?.metadata).toMatchObject({ ok: true, tools: 3 });
    expect(JSON.stringify(audit)).not.toContain(MCP_TOKEN);
  });

  it('validate with a wrong secret says the credentials were rejected', async () => {
    const wrong = await admin.secrets.create({ name: 'wrong-token', value: 'not-the-token', scope: 'agent' });
    expect(await admin.mcpServers.validate({ url: mcp.url, secretRef: wrong.id })).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHORIZED' },
    });
  });

  it('validate refuses metadata and private addresses unless allowed', async () => {
    const other = await createTestApp({ env: { MCP_CONNECT_TIMEOUT_MS: '500' } });
    try {
      const caller = other.caller(other.orgA.adminToken);
      for (const url of ['http://169.254.169.254/latest/meta-data/', mcp.url]) {
        expect(await caller.mcpServers.validate({ url })).toMatchObject({
          ok: false,
          error: { code: 'BLOCKED_ADDRESS' },
        });
      }
    } finally {
      await other.close();
    }
  });

  it('refuses a non-http URL and a secret of another org', async () => {
    await expectTRPCError(admin.mcpServers.create({ name: 'x', url: 'file:///etc/passwd' }), 'BAD_REQUEST');
    const theirs = await app.caller(app.orgB.adminToken).secrets.create({ name: 'mcp', value: 'v', scope: 'agent' });
    const err = await expectTRPCError(
      admin.mcpServers.create({ name: 'x', url: mcp.url, secretRef: theirs.id }),
      'BAD_REQUEST',
    );
    expect(err.cause).toMatchObject({ field: 'secretRef' });
    await expectTRPCError(admin.mcpServers.validate({ url: mcp.url, secretRef: theirs.id }), 'BAD_REQUEST');
    await expectTRPCError(admin.mcpServers.validate({}), 'BAD_REQUEST');
  });
});
