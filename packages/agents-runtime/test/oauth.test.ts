import {
  connectWithoutBrowser,
  createTestApp,
  type OAuthFixture,
  setInfraSecret,
  startOAuthFixture,
  startTestServer,
  type TestApp,
} from '@strongroom/api/testing';
import { type GatewayStandIn, startGatewayStandIn } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsRuntimeError, createAgentsRuntime } from '../src/index';

/**
 * Agent runs against an MCP server that signs in with OAuth 2.1: the real authorization server
 * (oidc-provider), the real API refreshing tokens, the runtime's cache honouring their expiry.
 */
const GATEWAY_TOKEN = 'gateway-token-for-oauth-runs';
const CONFIG = { accountId: '0123456789abcdef0123456789abcdef', gateway: 'agents' };
const TTL_S = 8;
const SKEW_MS = 4_000;

let fx: OAuthFixture;
let gateway: GatewayStandIn;
let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let runtime: ReturnType<typeof createAgentsRuntime>;
let agentId: string;
let serverId: string;

beforeAll(async () => {
  [fx, gateway] = await Promise.all([
    startOAuthFixture({ accessTokenTtlSeconds: TTL_S }),
    startGatewayStandIn({ gatewayToken: GATEWAY_TOKEN }),
  ]);
  app = await createTestApp({
    env: { MCP_ALLOWED_HOSTS: '127.0.0.1', MCP_OAUTH_REFRESH_SKEW_MS: String(SKEW_MS) },
  });
  server = await startTestServer(app);
  await setInfraSecret(app.deps, 'ai-gateway-token', GATEWAY_TOKEN);
  const admin = app.caller(app.orgA.adminToken);
  const key = await admin.secrets.create({ name: 'openai-key', value: 'sk-oauth-runs', scope: 'agent' });
  const provider = await admin.providers.create({
    name: 'OpenAI',
    providerType: 'cloudflare-ai-gateway',
    kind: 'openai',
    secretRef: key.id,
    config: CONFIG,
  });
  serverId = (await admin.mcpServers.create({ name: 'Signed-in tools', url: fx.mcp.url, oauth: {} })).id;
  agentId = (
    await admin.agents.create({
      name: 'Helper',
      providerId: provider.id,
      modelId: 'gpt-4o-mini',
      mcpServerIds: [serverId],
    })
  ).id;
  runtime = createAgentsRuntime({
    url: server.url,
    workerToken: app.orgA.workerToken,
    gateway: { baseUrl: gateway.url },
    cache: { tokenExpiryMarginMs: SKEW_MS },
    mcp: { allowedHosts: ['127.0.0.1'] },
  });
});
afterAll(async () => {
  runtime?.close();
  await server?.close();
  await app?.close();
  await Promise.all([fx?.close(), gateway?.close()]);
});

/** Scripted model: call `echo` first, then answer with what the tool said. */
function echoThenAnswer(text: string) {
  gateway.script((request) => {
    const tool = request.entries[0]!.query.messages.find((m) => m.role === 'tool');
    return tool
      ? { text: `The tool said: ${JSON.stringify(tool.content)}` }
      : { toolCalls: [{ name: 'echo', args: { text } }] };
  });
}

const run = () => runtime.runAgent({ orgId: app.orgA.orgId, agentId, messages: [{ role: 'user', content: 'echo' }] });
const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));
const expiryOf = async () =>
  Date.parse((await app.caller(app.orgA.adminToken).mcpServers.get({ id: serverId })).oauth!.expiresAt!);

describe('runs against an OAuth MCP server', () => {
  it('before anyone connects it, a run fails at once with MCP_NOT_CONNECTED naming the server', async () => {
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentsRuntimeError);
    expect(err).toMatchObject({ code: 'MCP_NOT_CONNECTED', details: { mcpServerId: serverId } });
    expect((err as Error).message).toMatch(/"Signed-in tools"/);
  });

  it('once connected, a run calls a tool with the OAuth access token', async () => {
    await connectWithoutBrowser(app, app.orgA.adminToken, serverId);
    echoThenAnswer('hello over oauth');
    const authorized = fx.mcp.authorized;
    const result = await run();
    expect(result.text).toContain('hello over oauth');
    expect(fx.mcp.authorized).toBeGreaterThan(authorized);
  });

  it('near expiry the runtime asks again and the API refreshes once; the next run works', async () => {
    await sleepUntil((await expiryOf()) - SKEW_MS + 300);
    const refreshes = fx.as.grants.refresh_token ?? 0;
    echoThenAnswer('after refresh');
    expect((await run()).text).toContain('after refresh');
    expect((fx.as.grants.refresh_token ?? 0) - refreshes).toBe(1);
    echoThenAnswer('cached');
    expect((await run()).text).toContain('cached');
    expect((fx.as.grants.refresh_token ?? 0) - refreshes).toBe(1);
  });

  it('a revoked grant: the run fails fast with MCP_REAUTH_REQUIRED naming the server, never hangs', async () => {
    fx.as.revokeAll();
    await sleepUntil((await expiryOf()) - SKEW_MS + 300);
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const err = await run().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'MCP_REAUTH_REQUIRED', details: { mcpServerId: serverId } });
      expect((err as Error).message).toMatch(/"Signed-in tools" needs signing in again/);
      expect(Date.now() - started).toBeLessThan(3_000);
    }
  });

  it('reconnecting heals it; disconnecting drops the runtime’s cached token through the event stream', async () => {
    await connectWithoutBrowser(app, app.orgA.adminToken, serverId);
    echoThenAnswer('reconnected');
    expect((await run()).text).toContain('reconnected');
    await app.caller(app.orgA.adminToken).mcpServers.disconnect({ id: serverId });
    let err: unknown;
    for (let i = 0; i < 40 && !err; i++) {
      echoThenAnswer('still cached?');
      err = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!err) await new Promise((r) => setTimeout(r, 50));
    }
    expect(err).toMatchObject({ code: 'MCP_NOT_CONNECTED' });
  });
});
