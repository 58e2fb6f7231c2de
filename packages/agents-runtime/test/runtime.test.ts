import {
  createTestApp,
  makeCanary,
  setInfraSecret,
  startTestServer,
  type TestApp,
  canaryForms,
} from '@strongroom/api/testing';
import { type GatewayStandIn, type McpTestServer, startGatewayStandIn, startMcpTestServer } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsRuntimeError, createAgentsRuntime } from '../src/index';

/**
 * A full agent turn through the real API, the real AI SDK and ai-gateway-provider against a local
 * stand-in of Cloudflare AI Gateway, with a real MCP server — and proof of where every credential
 * travelled.
 */
const GATEWAY_TOKEN = makeCanary('gateway-token');
const PROVIDER_KEY = makeCanary('sk-provider-key');
const MCP_TOKEN = makeCanary('mcp-token');
const CONFIG = { accountId: '0123456789abcdef0123456789abcdef', gateway: 'agents' };
/** The test MCP server is on loopback, which the address guard refuses unless allowed. */
const mcpAllowed = { allowedHosts: ['127.0.0.1'] };

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let gateway: GatewayStandIn;
let mcp: McpTestServer;
let agentId: string;
let providerId: string;
let runtime: ReturnType<typeof createAgentsRuntime>;

beforeAll(async () => {
  [gateway, mcp] = await Promise.all([
    startGatewayStandIn({ gatewayToken: GATEWAY_TOKEN }),
    startMcpTestServer({ token: MCP_TOKEN }),
  ]);
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1,localhost' } });
  server = await startTestServer(app);
  await setInfraSecret(app.deps, 'ai-gateway-token', GATEWAY_TOKEN);
  const admin = app.caller(app.orgA.adminToken);
  const key = await admin.secrets.create({ name: 'openai-key', value: PROVIDER_KEY, scope: 'agent' });
  const token = await admin.secrets.create({ name: 'tools-token', value: MCP_TOKEN, scope: 'agent' });
  providerId = (
    await admin.providers.create({
      name: 'OpenAI',
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: key.id,
      config: CONFIG,
    })
  ).id;
  const tools = await admin.mcpServers.create({ name: 'tools', url: mcp.url, secretRef: token.id });
  agentId = (
    await admin.agents.create({
      name: 'Helper',
      providerId,
      modelId: 'gpt-4o-mini',
      instructions: 'Use tools when asked.',
      mcpServerIds: [tools.id],
    })
  ).id;
  runtime = createAgentsRuntime({
    url: server.url,
    workerToken: app.orgA.workerToken,
    gateway: { baseUrl: gateway.url },
    mcp: mcpAllowed,
  });
});
afterAll(async () => {
  runtime.close();
  await server.close();
  await app.close();
  await Promise.all([gateway.close(), mcp.close()]);
});

/** Scripted model: call `whoami` first, then answer with what the tool said. */
function toolThenAnswer() {
  gateway.script((request) => {
    const messages = request.entries[0]!.query.messages;
    const toolMessage = messages.find((m) => m.role === 'tool');
    return toolMessage
      ? { text: `The tool said: ${JSON.stringify(toolMessage.content)}` }
      : { toolCalls: [{ name: 'whoami', args: {} }] };
  });
}

const leaks = (text: string, value: string) => canaryForms(value).filter((form) => text.includes(form));

describe('runAgent', () => {
  it('runs a turn with a tool call; each credential travels only where it must', async () => {
    toolThenAnswer();
    gateway.requests.length = 0;
    const result = await runtime.runAgent({
      orgId: app.orgA.orgId,
      agentId,
      messages: [
        { role: 'user', content: `Who am I? My key is ${PROVIDER_KEY} and the gateway's is ${GATEWAY_TOKEN}` },
      ],
    });
    expect(result.text).toMatch(/^The tool said: /);
    expect(result.steps[0]).toMatchObject({
      toolCalls: [{ toolName: 'whoami' }],
      toolResults: [{ toolName: 'whoami' }],
    });
    expect(JSON.stringify(result)).toContain('called with: Bearer [redacted]');
    expect(gateway.requests).toHaveLength(2);

    for (const request of gateway.requests) {
      expect(request.path).toBe(`/v1/${CONFIG.accountId}/${CONFIG.gateway}`);
      // The gateway token: only in cf-aig-authorization.
      expect(request.headers['cf-aig-authorization']).toBe(`Bearer ${GATEWAY_TOKEN}`);
      const { 'cf-aig-authorization': _gw, ...otherHeaders } = request.headers;
      expect(leaks(JSON.stringify(otherHeaders) + request.rawBody, GATEWAY_TOKEN)).toEqual([]);
      // The provider key: only in the provider authorization header of the body entry.
      const [entry] = request.entries;
      expect(entry).toMatchObject({
        provider: 'compat',
        endpoint: 'chat/completions',
        query: { model: 'openai/gpt-4o-mini' },
      });
      expect(entry!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
      const withoutAuth = JSON.stringify({ ...entry, headers: { ...entry!.headers, authorization: '' } });
      expect(leaks(withoutAuth + JSON.stringify(request.headers), PROVIDER_KEY)).toEqual([]);
      // The MCP token: nowhere at all, though the tool echoed it.
      expect(leaks(request.rawBody + JSON.stringify(request.headers), MCP_TOKEN)).toEqual([]);
      expect(entry!.query.messages[0]).toMatchObject({ role: 'system', content: 'Use tools when asked.' });
    }
    const toolResult = gateway.requests[1]!.entries[0]!.query.messages.find((m) => m.role === 'tool');
    expect(JSON.stringify(toolResult)).toContain('called with: Bearer [redacted]');
    const userMessage = gateway.requests[0]!.entries[0]!.query.messages.find((m) => m.role === 'user');
    expect(userMessage!.content).toBe("Who am I? My key is [redacted] and the gateway's is [redacted]");
  });

  it('streams the same turn', async () => {
    gateway.script(() => ({ text: 'streamed reply in several words' }));
    gateway.requests.length = 0;
    const stream = runtime.streamAgent({
      orgId: app.orgA.orgId,
      agentId,
      messages: [{ role: 'user', content: 'hello' }],
    });
    const deltas: string[] = [];
    let next = await stream.next();
    while (!next.done) {
      deltas.push(next.value);
      next = await stream.next();
    }
    expect(deltas.join('')).toBe('streamed reply in several words');
    expect(next.value.text).toBe('streamed reply in several words');
    expect(gateway.requests[0]!.entries[0]!.query.stream).toBe(true);
  });

  it('scrubs a credential the model itself echoes, even split across stream deltas', async () => {
    gateway.script(() => ({ text: `leaking ${PROVIDER_KEY} now` }));
    const { text } = await runtime.runAgent({
      orgId: app.orgA.orgId,
      agentId,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(text).toBe('leaking [redacted] now');
    let streamed = '';
    for await (const delta of runtime.streamAgent({
      orgId: app.orgA.orgId,
      agentId,
      messages: [{ role: 'user', content: 'x' }],
    }))
      streamed += delta;
    expect(streamed).toBe('leaking [redacted] now');
  });

  it('scrubs tool-call arguments the model writes, before the tool gets them and when they go back to it', async () => {
    // A model talked into passing credentials to a tool (prompt injection, or its own echo).
    const leakyArgs = `send ${PROVIDER_KEY} and ${Buffer.from(MCP_TOKEN).toString('base64')} to ${GATEWAY_TOKEN}`;
    gateway.script((request) =>
      request.entries[0]!.query.messages.some((m) => m.role === 'tool')
        ? { text: 'done' }
        : { toolCalls: [{ name: 'echo', args: { text: leakyArgs } }] },
    );
    gateway.requests.length = 0;
    mcp.toolCalls.length = 0;
    const result = await runtime.runAgent({
      orgId: app.orgA.orgId,
      agentId,
      messages: [{ role: 'user', content: 'go' }],
    });
    expect(mcp.toolCalls).toEqual([{ name: 'echo', args: { text: 'send [redacted] and [redacted] to [redacted]' } }]);
    expect(result.steps[0]!.toolCalls).toEqual([
      { toolName: 'echo', input: { text: 'send [redacted] and [redacted] to [redacted]' } },
    ]);
    expect(gateway.requests).toHaveLength(2);
    const sentBack = JSON.stringify(gateway.requests[1]!.entries[0]!.query.messages);
    expect(sentBack).toContain('send [redacted] and [redacted] to [redacted]');
    for (const value of [PROVIDER_KEY, MCP_TOKEN, GATEWAY_TOKEN]) expect(leaks(sentBack, value)).toEqual([]);
  });
});

describe('typed errors, none carrying a credential', () => {
  async function failure(run: Promise<unknown>) {
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AgentsRuntimeError);
    const text = `${(err as Error).message} ${JSON.stringify(err)}`;
    for (const value of [GATEWAY_TOKEN, PROVIDER_KEY, MCP_TOKEN]) expect(leaks(text, value)).toEqual([]);
    return (err as AgentsRuntimeError).code;
  }
  const turn = (r = runtime, id = agentId) =>
    r.runAgent({ orgId: app.orgA.orgId, agentId: id, messages: [{ role: 'user', content: 'hi' }] });

  it('agent missing', async () => {
    expect(await failure(turn(runtime, crypto.randomUUID()))).toBe('AGENT_NOT_FOUND');
  });

  it('gateway unauthorized and unreachable', async () => {
    const wrongToken = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: gateway.url, token: 'wrong' },
      mcp: mcpAllowed,
    });
    expect(await failure(turn(wrongToken))).toBe('GATEWAY_UNAUTHORIZED');
    wrongToken.close();
    const nowhere = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: 'http://127.0.0.1:9' },
      mcp: mcpAllowed,
    });
    expect(await failure(turn(nowhere))).toBe('GATEWAY_UNREACHABLE');
    nowhere.close();
  });

  it('provider not configured, and MCP server failing', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const stopped = await admin.mcpServers.create({ name: 'stopped', url: 'http://127.0.0.1:9/mcp' });
    const broken = await admin.agents.create({
      name: 'Broken tools',
      providerId,
      modelId: 'gpt-4o-mini',
      mcpServerIds: [stopped.id],
    });
    expect(await failure(turn(runtime, broken.id))).toBe('MCP_SERVER_FAILED');
    await app.deps.db
      .updateTable('providers')
      .set({ needs_configuration: true })
      .where('id', '=', providerId)
      .execute();
    try {
      expect(await failure(turn())).toBe('PROVIDER_NOT_CONFIGURED');
    } finally {
      await app.deps.db
        .updateTable('providers')
        .set({ needs_configuration: false })
        .where('id', '=', providerId)
        .execute();
    }
  });

  it('grant denied', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const orgSecret = await admin.secrets.create({ name: 'needs-grant', value: 'v', scope: 'org' });
    expect(await failure(runtime.resolveSecret({ orgId: app.orgA.orgId, secretId: orgSecret.id, agentId }))).toBe(
      'GRANT_DENIED',
    );
  });
});

describe('MCP connections go through the address guard', () => {
  const turn = (r: ReturnType<typeof createAgentsRuntime>, id = agentId) =>
    r.runAgent({ orgId: app.orgA.orgId, agentId: id, messages: [{ role: 'user', content: 'hi' }] });
  const refusal = (run: Promise<unknown>) =>
    run.then(
      () => {
        throw new Error('expected the run to fail');
      },
      (e: AgentsRuntimeError) => e,
    );

  it('refuses a loopback MCP server unless allowed, without connecting to it', async () => {
    const saved = process.env.MCP_ALLOWED_HOSTS;
    delete process.env.MCP_ALLOWED_HOSTS;
    const guarded = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: gateway.url },
    });
    try {
      const before = mcp.hits;
      const err = await refusal(turn(guarded));
      expect(err).toBeInstanceOf(AgentsRuntimeError);
      expect(err.code).toBe('MCP_SERVER_FAILED');
      expect(err.message).toMatch(
        /refused by the address guard: 127\.0\.0\.1 is a loopback address; .*MCP_ALLOWED_HOSTS/,
      );
      expect(mcp.hits).toBe(before);
    } finally {
      guarded.close();
    }
    // The default allowlist is the API's setting, MCP_ALLOWED_HOSTS.
    process.env.MCP_ALLOWED_HOSTS = '127.0.0.1';
    const fromEnv = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: gateway.url },
    });
    try {
      gateway.script(() => ({ text: 'ok' }));
      expect((await turn(fromEnv)).text).toBe('ok');
    } finally {
      fromEnv.close();
      if (saved === undefined) delete process.env.MCP_ALLOWED_HOSTS;
      else process.env.MCP_ALLOWED_HOSTS = saved;
    }
  });

  it('refuses a stored URL that points at cloud metadata, even one written around the API', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const planted = await admin.mcpServers.create({ name: 'planted', url: 'http://127.0.0.1:9/mcp' });
    await app.deps.db
      .updateTable('mcp_servers')
      .set({ url: 'http://169.254.169.254/latest/meta-data/' })
      .where('id', '=', planted.id)
      .execute();
    const victim = await admin.agents.create({
      name: 'victim',
      providerId,
      modelId: 'gpt-4o-mini',
      mcpServerIds: [planted.id],
    });
    const err = await refusal(turn(runtime, victim.id));
    expect(err.code).toBe('MCP_SERVER_FAILED');
    expect(err.message).toMatch(/169\.254\.169\.254 is a cloud metadata address/);
  });

  it('reaches an MCP server named by host name (localhost) when the name is allowed', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const token = await admin.secrets.create({ name: 'tools-token-by-name', value: MCP_TOKEN, scope: 'agent' });
    const byName = await admin.mcpServers.create({
      name: 'tools by name',
      url: mcp.url.replace('127.0.0.1', 'localhost'),
      secretRef: token.id,
    });
    const agent = await admin.agents.create({
      name: 'by name',
      providerId,
      modelId: 'gpt-4o-mini',
      mcpServerIds: [byName.id],
    });
    const named = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: gateway.url },
      mcp: { allowedHosts: 'localhost' },
    });
    try {
      toolThenAnswer();
      const before = mcp.hits;
      const result = await turn(named, agent.id);
      expect(JSON.stringify(result)).toContain('called with: Bearer [redacted]');
      expect(mcp.hits).toBeGreaterThan(before);
    } finally {
      named.close();
    }
  });
});

describe('cached values with push invalidation', () => {
  it('a removed grant stops a cached value at once', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const chat = await admin.groups.create({ name: 'chat with a grant' });
    const { id } = await admin.secrets.create({ name: 'chat-granted', value: 'granted-value', scope: 'org' });
    await admin.grants.add({ secretId: id, granteeType: 'group', granteeId: chat.id });
    const fresh = createAgentsRuntime({ url: server.url, workerToken: app.orgA.workerToken });
    try {
      const req = { orgId: app.orgA.orgId, secretId: id, agentId, chatId: chat.id };
      expect((await fresh.resolveSecret(req)).value).toBe('granted-value');
      await admin.grants.remove({ secretId: id, granteeType: 'group', granteeId: chat.id });
      const deadline = Date.now() + 2_000;
      let outcome: unknown = 'granted-value';
      while (outcome === 'granted-value' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        outcome = await fresh.resolveSecret(req).then(
          (r) => r.value,
          (e: AgentsRuntimeError) => e.code,
        );
      }
      expect(outcome).toBe('GRANT_DENIED');
    } finally {
      fresh.close();
    }
  });

  it('a burst of resolutions costs one; an update reaches the runtime on its next use', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const { id } = await admin.secrets.create({ name: 'cached', value: 'first', scope: 'agent' });
    const fresh = createAgentsRuntime({ url: server.url, workerToken: app.orgA.workerToken });
    try {
      const req = { orgId: app.orgA.orgId, secretId: id, agentId };
      const burst = await Promise.all(Array.from({ length: 20 }, () => fresh.resolveSecret(req)));
      expect(new Set(burst.map((b) => b.value))).toEqual(new Set(['first']));
      const accesses = () =>
        app.deps.db
          .selectFrom('audit_log')
          .select('id')
          .where('action', '=', 'secret.access')
          .where('target_id', '=', id)
          .execute();
      expect(await accesses()).toHaveLength(1);
      await fresh.resolveSecret(req);
      expect(await accesses()).toHaveLength(1);

      await admin.secrets.update({ id, value: 'second' });
      const deadline = Date.now() + 2_000;
      let value = (await fresh.resolveSecret(req)).value;
      while (value !== 'second' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        value = (await fresh.resolveSecret(req)).value;
      }
      expect(value).toBe('second');
      await admin.secrets.delete({ id });
      await new Promise((r) => setTimeout(r, 200));
      await expect(fresh.resolveSecret(req)).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' });
    } finally {
      fresh.close();
    }
  });
});
