import { inspect } from 'node:util';
import {
  canaryForms,
  createTestApp,
  makeCanary,
  setInfraSecret,
  startTestServer,
  type TestApp,
} from '@strongroom/api/testing';
import { type GatewayStandIn, type McpTestServer, startGatewayStandIn, startMcpTestServer } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsRuntimeError, createAgentsRuntime } from '../src/index';

/**
 * What a run costs at Strongroom — one authorised call, however many credentials the agent has —
 * and what its errors carry: a cause, never a credential.
 */
const GATEWAY_TOKEN = makeCanary('gateway-token');
const PROVIDER_KEY = makeCanary('sk-provider-key');
const MCP_TOKEN = makeCanary('mcp-token');
const CONFIG = { accountId: '0123456789abcdef0123456789abcdef', gateway: 'calls' };
/** MCP servers of the agent, each with its own secret: with the provider key and gateway token, N + 2 values. */
const SERVERS = 3;

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let gateway: GatewayStandIn;
let mcp: McpTestServer;
let agentId: string;

beforeAll(async () => {
  [gateway, mcp] = await Promise.all([
    startGatewayStandIn({ gatewayToken: GATEWAY_TOKEN }),
    startMcpTestServer({ token: MCP_TOKEN }),
  ]);
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1' } });
  server = await startTestServer(app);
  await setInfraSecret(app.deps, 'ai-gateway-token', GATEWAY_TOKEN);
  const admin = app.caller(app.orgA.adminToken);
  const key = await admin.secrets.create({ name: 'calls-key', value: PROVIDER_KEY, scope: 'agent' });
  const mcpServerIds: string[] = [];
  for (let i = 0; i < SERVERS; i++) {
    const token = await admin.secrets.create({ name: `calls-mcp-${i}`, value: MCP_TOKEN, scope: 'agent' });
    mcpServerIds.push((await admin.mcpServers.create({ name: `tools ${i}`, url: mcp.url, secretRef: token.id })).id);
  }
  const provider = await admin.providers.create({
    name: 'calls',
    providerType: 'cloudflare-ai-gateway',
    kind: 'openai',
    secretRef: key.id,
    config: CONFIG,
  });
  agentId = (
    await admin.agents.create({ name: 'calls', providerId: provider.id, modelId: 'gpt-4o-mini', mcpServerIds })
  ).id;
  gateway.script(() => ({ text: 'ok' }));
});
afterAll(async () => {
  await server.close();
  await app.close();
  await Promise.all([gateway.close(), mcp.close()]);
});

/** A fetch that counts the procedures called at Strongroom (a batched request names several). */
function countingFetch() {
  const calls: string[] = [];
  let requests = 0;
  const fetch: typeof globalThis.fetch = (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.origin === new URL(server.url).origin && url.pathname.startsWith('/trpc/')) {
      const procedures = decodeURIComponent(url.pathname.slice('/trpc/'.length)).split(',');
      if (!procedures.includes('internal.events')) {
        requests++;
        calls.push(...procedures);
      }
    }
    return globalThis.fetch(input, init);
  };
  return { fetch, calls, requests: () => requests };
}

const accesses = async () =>
  (
    await app.deps.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'secret.access')
      .where('org_id', '=', app.orgA.orgId)
      .execute()
  ).length;

const leaks = (text: string) =>
  [GATEWAY_TOKEN, PROVIDER_KEY, MCP_TOKEN].flatMap(canaryForms).filter((form) => text.includes(form));

describe('one call per run', () => {
  it(`a run with ${SERVERS + 2} credentials makes one call to Strongroom, cold or warm`, async () => {
    const counted = countingFetch();
    const runtime = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: gateway.url },
      mcp: { allowedHosts: ['127.0.0.1'] },
      fetch: counted.fetch,
    });
    const turn = () =>
      runtime.runAgent({ orgId: app.orgA.orgId, agentId, messages: [{ role: 'user', content: 'hi' }] });
    try {
      const before = await accesses();
      expect((await turn()).text).toBe('ok');
      expect(counted.calls).toEqual(['internal.runCredentials']);
      expect(counted.requests()).toBe(1);
      // Every value was authorised and audited once, in that one call.
      expect((await accesses()) - before).toBe(SERVERS + 2);

      counted.calls.length = 0;
      expect((await turn()).text).toBe('ok');
      expect(counted.calls).toEqual(['internal.runCredentials']);
      // Warm: every value was held at its current version, so none was sent or audited again.
      expect((await accesses()) - before).toBe(SERVERS + 2);
    } finally {
      runtime.close();
    }
  });
});

describe('errors carry a scrubbed cause', () => {
  it('a gateway failure that echoes the request (provider key and gateway token) leaks neither', async () => {
    // A gateway that fails with the request it got: headers and body, credentials included.
    const echoing: typeof globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.startsWith(gateway.url)) return globalThis.fetch(input, init);
      const echo = JSON.stringify({ headers: init?.headers, body: init?.body as string });
      return new Response(JSON.stringify({ error: { message: `upstream refused ${echo}` } }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      });
    };
    const runtime = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: gateway.url },
      mcp: { allowedHosts: ['127.0.0.1'] },
      fetch: echoing,
      maxSteps: 1,
    });
    try {
      const err = await runtime
        .runAgent({ orgId: app.orgA.orgId, agentId, messages: [{ role: 'user', content: `use ${PROVIDER_KEY}` }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(AgentsRuntimeError);
      expect((err as AgentsRuntimeError).code).toBe('GATEWAY_ERROR');
      const causes: unknown[] = [];
      for (let c = (err as Error).cause; c; c = (c as Error).cause) causes.push(c);
      expect(causes.length).toBeGreaterThan(0);
      const everything = [
        (err as Error).message,
        JSON.stringify(err),
        inspect(err, { depth: 20, showHidden: true }),
        ...causes.map((c) => `${(c as Error).name}: ${(c as Error).message} ${(c as Error).stack}`),
      ].join('\n');
      expect(everything).toContain('[redacted]');
      expect(leaks(everything)).toEqual([]);
    } finally {
      runtime.close();
    }
  });

  it('a refusal from Strongroom keeps its cause', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const orgSecret = await admin.secrets.create({ name: 'calls-needs-grant', value: 'v', scope: 'org' });
    const runtime = createAgentsRuntime({ url: server.url, workerToken: app.orgA.workerToken });
    try {
      const err = await runtime.resolveSecret({ orgId: app.orgA.orgId, secretId: orgSecret.id, agentId }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'GRANT_DENIED' });
      expect((err as Error).cause).toBeInstanceOf(Error);
      expect(((err as Error).cause as Error).message).toMatch(/no grant names this agent or chat/);
    } finally {
      runtime.close();
    }
  });
});
