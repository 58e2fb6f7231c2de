import { createTestApp, seedAgent, setInfraSecret, startTestServer, type TestApp } from '@strongroom/api/testing';
import { createStrongroomClient } from '@strongroom/client';
import { type GatewayStandIn, startGatewayStandIn, startMcpTestServer, type TestServer } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentsRuntimeError, createAgentsRuntime } from '../src/index';

/**
 * The runtime's cache against the server's versions: when its event stream starts it re-checks
 * what it holds (the infra gateway token included), and a new infra secret version reaches it.
 */
const GATEWAY_TOKEN = 'gateway-token-for-resync-tests';
const MCP_TOKEN = 'mcp-token-for-resync-tests';
let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let gateway: GatewayStandIn;
let mcp: TestServer;
let seeded: Awaited<ReturnType<typeof seedAgent>>;

beforeAll(async () => {
  [gateway, mcp] = await Promise.all([
    startGatewayStandIn({ gatewayToken: GATEWAY_TOKEN }),
    startMcpTestServer({ token: MCP_TOKEN }),
  ]);
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1' } });
  server = await startTestServer(app);
  await setInfraSecret(app.deps, 'ai-gateway-token', GATEWAY_TOKEN);
  const admin = createStrongroomClient({ url: server.url, token: app.orgA.adminToken });
  const token = await admin.secrets.create.mutate({ name: 'mcp-token', value: MCP_TOKEN, scope: 'agent' });
  const tools = await admin.mcpServers.create.mutate({ name: 'tools', url: mcp.url, secretRef: token.id });
  seeded = await seedAgent(admin, { mcpServerIds: [tools.id] });
  gateway.script(() => ({ text: 'ok' }));
});
afterAll(async () => {
  await server.close();
  await app.close();
  await Promise.all([gateway.close(), mcp.close()]);
});

/** A fetch that can hold the event stream back and remembers the version checks it carried. */
function observedFetch() {
  let release!: () => void;
  const streamMayStart = new Promise<void>((resolve) => (release = resolve));
  const checks: Promise<Response>[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes('internal.events')) await streamMayStart;
    const response = globalThis.fetch(input, init);
    if (/internal\.(secretVersions|infraSecretVersions)/.test(url)) checks.push(response);
    return response;
  };
  return { fetch, release, checks };
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

const turn = (runtime: ReturnType<typeof createAgentsRuntime>) =>
  runtime.runAgent({ orgId: seeded.orgId, agentId: seeded.agentId, messages: [{ role: 'user', content: 'hi' }] });

describe('resync when the event stream starts', () => {
  it('checks secrets and the infra gateway token by their versions, and keeps what is current', async () => {
    const observed = observedFetch();
    const runtime = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: gateway.url },
      mcp: { allowedHosts: ['127.0.0.1'] },
      fetch: observed.fetch,
    });
    try {
      await turn(runtime); // provider key, MCP token and gateway token now cached
      observed.release();
      const deadline = Date.now() + 5_000;
      while (observed.checks.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const answers = await Promise.all(observed.checks.map((c) => c.then((r) => r.status)));
      expect(answers).toEqual([200, 200]);
      await new Promise((r) => setTimeout(r, 50));
      const before = await accesses();
      expect((await turn(runtime)).text).toBe('ok');
      expect(await accesses()).toBe(before); // all three still served from the cache
    } finally {
      runtime.close();
    }
  });
});

describe('infra secret changes', () => {
  it('a new gateway token reaches a running runtime without waiting for the cache to expire', async () => {
    const runtime = createAgentsRuntime({
      url: server.url,
      workerToken: app.orgA.workerToken,
      gateway: { baseUrl: gateway.url },
      mcp: { allowedHosts: ['127.0.0.1'] },
      cache: { maxAgeMs: 3_600_000 },
    });
    const sentToken = () => gateway.requests.at(-1)?.headers['cf-aig-authorization'];
    const waitForToken = async (token: string) => {
      const deadline = Date.now() + 5_000;
      do {
        await turn(runtime).catch((e: AgentsRuntimeError) => e.code);
        if (sentToken() === `Bearer ${token}`) return;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
    };
    try {
      await turn(runtime);
      expect(sentToken()).toBe(`Bearer ${GATEWAY_TOKEN}`);
      await setInfraSecret(app.deps, 'ai-gateway-token', 'rotated-gateway-token');
      await waitForToken('rotated-gateway-token');
      expect(sentToken()).toBe('Bearer rotated-gateway-token');
      await setInfraSecret(app.deps, 'ai-gateway-token', GATEWAY_TOKEN);
      await waitForToken(GATEWAY_TOKEN);
      expect((await turn(runtime)).text).toBe('ok');
    } finally {
      runtime.close();
    }
  });
});
