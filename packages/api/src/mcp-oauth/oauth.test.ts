import { createHash } from 'node:crypto';
import { signInWithoutBrowser } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestAgent, createTestApp, startTestServer, type TestApp } from '../../test/support/harness';
import { connectWithoutBrowser, followCallback, type OAuthFixture, startOAuthFixture } from '../../test/support/oauth';

let app: TestApp;
let http: { url: string; close(): Promise<void> };
let fx: OAuthFixture;
let admin: ReturnType<TestApp['caller']>;
let worker: ReturnType<TestApp['caller']>;

beforeAll(async () => {
  fx = await startOAuthFixture({ accessTokenTtlSeconds: 8 });
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1', MCP_OAUTH_REFRESH_SKEW_MS: '4000' } });
  http = await startTestServer(app);
  admin = app.caller(app.orgA.adminToken);
  worker = app.caller(app.orgA.workerToken);
});
afterAll(async () => {
  await http?.close();
  await fx?.close();
  await app?.close();
});

async function oauthServer(name: string, scopes?: string[]) {
  return admin.mcpServers.create({ name, url: fx.mcp.url, oauth: scopes ? { scopes } : {} });
}

/** Every stored sealed token and every value the app could have shown, as text, for canaries. */
async function everythingVisible() {
  const audit = await app.deps.db.selectFrom('audit_log').select(['metadata', 'action']).execute();
  return JSON.stringify(audit) + app.logs.join('\n');
}

describe('MCP OAuth: connect', () => {
  it('connects without a browser: discovery, dynamic registration, PKCE, resource, and the callback back to the console', async () => {
    const server = await oauthServer('oauth tools');
    expect(server).toMatchObject({ auth: 'oauth', secretRef: null, oauth: { status: 'not_connected', issuer: null } });
    const { authorizationUrl } = await admin.mcpServers.connect({ id: server.id });
    const url = new URL(authorizationUrl!);
    expect(url.origin).toBe(fx.as.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('resource')).toBe(fx.mcp.url);
    expect(url.searchParams.get('redirect_uri')).toBe(`${http.url}/oauth/mcp/callback`);
    expect(url.searchParams.get('scope')).toBe('tools:read tools:call');
    expect(fx.as.registrations.at(-1)).toMatchObject({
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const location = await followCallback(await signInWithoutBrowser(authorizationUrl!));
    expect(location.href).toBe(`${http.url}/mcp-servers?server=${server.id}&oauth=connected`);
    const got = await admin.mcpServers.get({ id: server.id });
    expect(got.oauth).toMatchObject({
      status: 'connected',
      issuer: fx.as.issuer,
      scopes: ['tools:read', 'tools:call'],
      connectedBy: app.orgA.adminUserId,
    });
    const expires = Date.parse(got.oauth!.expiresAt!);
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThan(Date.now() + 10_000);
    expect(await admin.mcpServers.validate({ id: server.id })).toMatchObject({
      ok: true,
      tools: expect.arrayContaining([expect.objectContaining({ name: 'echo' })]),
    });
    const row = await app.deps.db
      .selectFrom('mcp_oauth_connections')
      .selectAll()
      .where('mcp_server_id', '=', server.id)
      .executeTakeFirstOrThrow();
    expect(row.access_token).toBeInstanceOf(Uint8Array);
    expect(row.refresh_token).toBeInstanceOf(Uint8Array);
    const audit = await app.deps.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id'])
      .where('target_id', '=', server.id)
      .where('action', '=', 'mcp.oauth.connect')
      .execute();
    expect(audit).toEqual([{ action: 'mcp.oauth.connect', actor_id: app.orgA.adminUserId }]);
  });

  it('a state completes once; a wrong or missing iss and an unknown state are refused', async () => {
    const server = await oauthServer('state checks');
    const { authorizationUrl } = await admin.mcpServers.connect({ id: server.id });
    const callback = await signInWithoutBrowser(authorizationUrl!);
    expect(new URL(callback).searchParams.get('iss')).toBe(fx.as.issuer);

    const wrongIss = new URL(callback);
    wrongIss.searchParams.set('iss', 'http://127.0.0.1:1/evil');
    const refused = await followCallback(wrongIss.href);
    expect(refused.searchParams.get('oauth')).toBe('failed');
    expect(refused.searchParams.get('reason')).toBe('iss_mismatch');
    // The refusal used the state up: the genuine response cannot complete it afterwards.
    const replay = await fetch(callback, { redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toMatch(/unknown or was already completed/);
    expect((await admin.mcpServers.get({ id: server.id })).oauth?.status).toBe('not_connected');

    const second = await admin.mcpServers.connect({ id: server.id });
    const noIss = new URL(await signInWithoutBrowser(second.authorizationUrl!));
    noIss.searchParams.delete('iss');
    expect((await followCallback(noIss.href)).searchParams.get('reason')).toBe('iss_missing');

    const third = await admin.mcpServers.connect({ id: server.id });
    const good = await signInWithoutBrowser(third.authorizationUrl!);
    expect((await followCallback(good)).searchParams.get('oauth')).toBe('connected');
    expect((await fetch(good, { redirect: 'manual' })).status).toBe(400);
    expect(
      (await fetch(`${http.url}/oauth/mcp/callback?code=x&state=never-issued`, { redirect: 'manual' })).status,
    ).toBe(400);
    expect((await admin.mcpServers.get({ id: server.id })).oauth?.status).toBe('connected');
  });

  it('a callback carrying another org’s code is refused and connects nothing', async () => {
    const mine = await oauthServer('org A tools');
    const theirs = await app
      .caller(app.orgB.adminToken)
      .mcpServers.create({ name: 'org B tools', url: fx.mcp.url, oauth: {} });
    const a = await admin.mcpServers.connect({ id: mine.id });
    const b = await app.caller(app.orgB.adminToken).mcpServers.connect({ id: theirs.id });
    const codeForA = new URL(await signInWithoutBrowser(a.authorizationUrl!));
    const stateOfB = new URL(b.authorizationUrl!).searchParams.get('state')!;
    const forged = new URL(codeForA);
    forged.searchParams.set('state', stateOfB);
    const refused = await followCallback(forged.href);
    expect(refused.searchParams.get('oauth')).toBe('failed');
    expect(refused.searchParams.get('server')).toBe(theirs.id);
    expect((await app.caller(app.orgB.adminToken).mcpServers.get({ id: theirs.id })).oauth?.status).toBe(
      'not_connected',
    );
    expect((await admin.mcpServers.get({ id: mine.id })).oauth?.status).toBe('not_connected');
  });

  it('the pending authorization keeps only a hash of the state and a sealed verifier', async () => {
    const server = await oauthServer('pending');
    const { authorizationUrl } = await admin.mcpServers.connect({ id: server.id });
    const state = new URL(authorizationUrl!).searchParams.get('state')!;
    const pending = await app.deps.db
      .selectFrom('mcp_oauth_pending')
      .selectAll()
      .where('mcp_server_id', '=', server.id)
      .executeTakeFirstOrThrow();
    expect(pending.state_hash).toBe(createHash('sha256').update(state).digest('hex'));
    expect(Buffer.from(pending.code_verifier).toString('latin1')).not.toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
  });

  it('connect on a bearer server or another org’s server is refused', async () => {
    const bearer = await admin.mcpServers.create({ name: 'bearer', url: fx.mcp.url });
    const err = await expectTRPCError(admin.mcpServers.connect({ id: bearer.id }), 'BAD_REQUEST');
    expect(err.message).toMatch(/bearer token, not OAuth/);
    const foreign = await oauthServer('foreign');
    await expectTRPCError(app.caller(app.orgB.adminToken).mcpServers.connect({ id: foreign.id }), 'NOT_FOUND');
    await expectTRPCError(app.caller(app.orgA.memberToken).mcpServers.connect({ id: foreign.id }), 'FORBIDDEN');
    await expectTRPCError(
      admin.mcpServers.create({ name: 'both', url: fx.mcp.url, secretRef: foreign.id, oauth: {} }),
      'BAD_REQUEST',
    );
  });
});

describe('MCP OAuth: tokens at run time', () => {
  let serverId: string;
  let agentId: string;
  beforeAll(async () => {
    serverId = (await oauthServer('runtime tools')).id;
    agentId = await createTestAgent(app, app.orgA, [serverId]);
  });
  const resolve = () => worker.internal.resolveMcpToken({ orgId: app.orgA.orgId, agentId, mcpServerId: serverId });

  it('before connecting, resolution fails fast with MCP_NOT_CONNECTED', async () => {
    const err = await expectTRPCError(resolve(), 'PRECONDITION_FAILED');
    expect(err.cause).toMatchObject({ reason: 'MCP_NOT_CONNECTED' });
  });

  it('lists the server with auth oauth and no secret reference, and resolves an access token the MCP server accepts', async () => {
    await connectWithoutBrowser(app, app.orgA.adminToken, serverId);
    const config = await worker.internal.agentRuntimeConfig({ orgId: app.orgA.orgId, agentId });
    expect(config.mcpServers).toEqual([
      expect.objectContaining({ id: serverId, auth: 'oauth', secretRef: null, secretVersion: null }),
    ]);
    const token = await resolve();
    expect(token.expiresAt).toBe((await admin.mcpServers.get({ id: serverId })).oauth?.expiresAt);
    const res = await fetch(fx.mcp.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.value}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    expect(res.status).toBe(200);
  });

  it('20 concurrent resolutions near expiry cause exactly one refresh at the authorization server', async () => {
    const before = await resolve();
    // Wait until the token is inside the refresh window (8 s lifetime, 4 s skew).
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(before.expiresAt!) - 4_000 - Date.now() + 200)));
    const refreshesBefore = fx.as.grants.refresh_token ?? 0;
    const results = await Promise.all(Array.from({ length: 20 }, () => resolve()));
    expect((fx.as.grants.refresh_token ?? 0) - refreshesBefore).toBe(1);
    expect(new Set(results.map((r) => r.value)).size).toBe(1);
    expect(results[0]!.value).not.toBe(before.value);
    expect(Date.parse(results[0]!.expiresAt!)).toBeGreaterThan(Date.parse(before.expiresAt!));
    const refreshAudit = await app.deps.db
      .selectFrom('audit_log')
      .select('metadata')
      .where('action', '=', 'mcp.oauth.refresh')
      .where('target_id', '=', serverId)
      .execute();
    expect(refreshAudit).toHaveLength(1);
    expect(refreshAudit[0]!.metadata).toMatchObject({ rotated: true });
  });

  it('a revoked grant turns into needs_reauth: typed failures fast, flagged in get and validate; reconnecting heals it', async () => {
    const current = await resolve();
    fx.as.revokeAll();
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(current.expiresAt!) - 4_000 - Date.now() + 200)));
    const first = await expectTRPCError(resolve(), 'PRECONDITION_FAILED');
    expect(first.cause).toMatchObject({ reason: 'MCP_REAUTH_REQUIRED' });
    const refused = fx.as.refusedGrants.refresh_token ?? 0;
    const started = Date.now();
    await expectTRPCError(resolve(), 'PRECONDITION_FAILED');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(fx.as.refusedGrants.refresh_token ?? 0).toBe(refused);
    expect((await admin.mcpServers.get({ id: serverId })).oauth).toMatchObject({
      status: 'needs_reauth',
      reason: 'invalid_grant',
    });
    expect(await admin.mcpServers.validate({ id: serverId })).toMatchObject({
      ok: false,
      error: { code: 'NEEDS_REAUTH' },
    });
    await connectWithoutBrowser(app, app.orgA.adminToken, serverId);
    expect((await admin.mcpServers.get({ id: serverId })).oauth?.status).toBe('connected');
    expect((await resolve()).value).toBeTruthy();
  });

  it('disconnect revokes at the authorization server, deletes the tokens and is audited', async () => {
    const revocations = fx.as.revocations;
    const after = await admin.mcpServers.disconnect({ id: serverId });
    expect(after.oauth).toMatchObject({ status: 'not_connected', issuer: null, scopes: [] });
    expect(fx.as.revocations).toBe(revocations + 1);
    expect(
      await app.deps.db
        .selectFrom('mcp_oauth_connections')
        .select('version')
        .where('mcp_server_id', '=', serverId)
        .execute(),
    ).toEqual([]);
    const audit = await app.deps.db
      .selectFrom('audit_log')
      .select('metadata')
      .where('action', '=', 'mcp.oauth.disconnect')
      .where('target_id', '=', serverId)
      .executeTakeFirstOrThrow();
    expect(audit.metadata).toMatchObject({ revocation: 'revoked' });
    const err = await expectTRPCError(resolve(), 'PRECONDITION_FAILED');
    expect(err.cause).toMatchObject({ reason: 'MCP_NOT_CONNECTED' });
  });

  it('no token appears in any response, log line or audit row', async () => {
    await connectWithoutBrowser(app, app.orgA.adminToken, serverId);
    const token = (await resolve()).value;
    const visible = [
      JSON.stringify(await admin.mcpServers.list()),
      JSON.stringify(await admin.audit.list({})),
      await everythingVisible(),
    ].join('\n');
    expect(token.length).toBeGreaterThan(20);
    expect(visible).not.toContain(token);
    expect(visible).not.toContain(token.split('.')[2]!);
  });
});
