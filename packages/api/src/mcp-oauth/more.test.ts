import { randomUUID } from 'node:crypto';
import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestApp, startTestServer, type TestApp } from '../../test/support/harness';
import { connectWithoutBrowser, type OAuthFixture, startOAuthFixture } from '../../test/support/oauth';
import { clientFor, type OAuthServer } from './clients';

const M2M_SECRET = `m2m-secret-${randomUUID()}`;
let app: TestApp;
let http: { url: string; close(): Promise<void> };
let fx: OAuthFixture;
let admin: ReturnType<TestApp['caller']>;

beforeAll(async () => {
  fx = await startOAuthFixture({
    accessTokenTtlSeconds: 8,
    scopes: ['tools:read', 'tools:admin'],
    requiredScopes: ['tools:admin'],
    clients: [{ clientId: 'strongroom-m2m', clientSecret: M2M_SECRET, grantTypes: ['client_credentials'] }],
  });
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1', MCP_OAUTH_REFRESH_SKEW_MS: '4000' } });
  http = await startTestServer(app);
  admin = app.caller(app.orgA.adminToken);
});
afterAll(async () => {
  await http?.close();
  await fx?.close();
  await app?.close();
});

describe('MCP OAuth: more scopes, machines, and input', () => {
  it('a 403 insufficient_scope surfaces as needs-more-scopes; Connect then asks for the union and it works', async () => {
    const server = await admin.mcpServers.create({
      name: 'needs admin',
      url: fx.mcp.url,
      oauth: { scopes: ['tools:read'] },
    });
    await connectWithoutBrowser(app, app.orgA.adminToken, server.id);
    const result = await admin.mcpServers.validate({ id: server.id });
    expect(result).toMatchObject({ ok: false, error: { code: 'INSUFFICIENT_SCOPE' } });
    expect((await admin.mcpServers.get({ id: server.id })).oauth).toMatchObject({
      status: 'connected',
      scopes: ['tools:read'],
      reason: 'insufficient_scope',
    });
    const { authorizationUrl } = await admin.mcpServers.connect({ id: server.id });
    expect(new URL(authorizationUrl!).searchParams.get('scope')).toBe('tools:read tools:admin');
    await connectWithoutBrowser(app, app.orgA.adminToken, server.id);
    expect((await admin.mcpServers.get({ id: server.id })).oauth).toMatchObject({
      scopes: ['tools:read', 'tools:admin'],
      reason: null,
    });
    expect(await admin.mcpServers.validate({ id: server.id })).toMatchObject({ ok: true });
  });

  it('client credentials: connected without a browser, the pre-registered client authenticating with client_secret_basic; re-issued near expiry', async () => {
    const secret = await admin.secrets.create({ name: 'm2m-secret', value: M2M_SECRET, scope: 'org' });
    const server = await admin.mcpServers.create({
      name: 'machine tools',
      url: fx.mcp.url,
      oauth: { grantType: 'client_credentials', clientId: 'strongroom-m2m', clientSecretRef: secret.id },
    });
    const before = fx.as.grants.client_credentials ?? 0;
    expect(await admin.mcpServers.connect({ id: server.id })).toEqual({ authorizationUrl: null });
    expect(fx.as.grants.client_credentials).toBe(before + 1);
    const got = await admin.mcpServers.get({ id: server.id });
    expect(got.oauth).toMatchObject({ status: 'connected', grantType: 'client_credentials', issuer: fx.as.issuer });
    expect(await admin.mcpServers.validate({ id: server.id })).toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(got.oauth!.expiresAt!) - 4_000 - Date.now() + 200)));
    expect(await admin.mcpServers.validate({ id: server.id })).toMatchObject({ ok: true });
    expect(fx.as.grants.client_credentials).toBe(before + 2);
    // The client secret is a referenced credential: not deletable, not resolvable by an agent.
    await expectTRPCError(admin.secrets.delete({ id: secret.id }), 'CONFLICT');
  });

  it('bad OAuth settings are refused naming the field, with nothing written', async () => {
    const count = async () => (await admin.mcpServers.list()).length;
    const before = await count();
    const noSecret = await expectTRPCError(
      admin.mcpServers.create({
        name: 'x',
        url: fx.mcp.url,
        oauth: { grantType: 'client_credentials', clientId: 'c' },
      }),
      'BAD_REQUEST',
    );
    expect(noSecret.message).toMatch(/"clientSecretRef"[\s\S]*needs clientId and clientSecretRef/);
    const theirs = await app.caller(app.orgB.adminToken).secrets.create({ name: 's', value: 'v', scope: 'org' });
    const foreign = await expectTRPCError(
      admin.mcpServers.create({ name: 'x', url: fx.mcp.url, oauth: { clientId: 'c', clientSecretRef: theirs.id } }),
      'BAD_REQUEST',
    );
    expect(foreign.message).toMatch(/oauth\.clientSecretRef does not name a secret of this org/);
    await expectTRPCError(
      admin.mcpServers.create({ name: 'x', url: fx.mcp.url, oauth: { scopes: ['bad scope'] } }),
      'BAD_REQUEST',
    );
    expect(await count()).toBe(before);
  });

  it('switching a connected server back to a bearer token ends its connection', async () => {
    const server = await admin.mcpServers.create({
      name: 'switch',
      url: fx.mcp.url,
      oauth: { scopes: ['tools:read', 'tools:admin'] },
    });
    await connectWithoutBrowser(app, app.orgA.adminToken, server.id);
    const after = await admin.mcpServers.update({ id: server.id, oauth: null });
    expect(after).toMatchObject({ auth: 'bearer', oauth: null });
    expect(
      await app.deps.db
        .selectFrom('mcp_oauth_connections')
        .select('version')
        .where('mcp_server_id', '=', server.id)
        .execute(),
    ).toEqual([]);
  });

  it('serves the Client ID Metadata Document, and picks it first when the server supports them over https', async () => {
    const doc = await (await fetch(`${http.url}/oauth/mcp/client-metadata.json`)).json();
    expect(doc).toMatchObject({
      client_id: `${http.url}/oauth/mcp/client-metadata.json`,
      redirect_uris: [`${http.url}/oauth/mcp/callback`],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
    const server: OAuthServer = {
      id: randomUUID(),
      org_id: app.orgA.orgId,
      url: fx.mcp.url,
      oauth_scopes: null,
      oauth_client_id: 'pre-registered',
      oauth_client_secret_ref: null,
      oauth_grant: 'authorization_code',
    };
    const metadata = {
      issuer: 'https://as.test',
      client_id_metadata_document_supported: true,
    } as AuthorizationServerMetadata;
    const publicUrl = { get: () => 'https://strongroom.test', setDefault: () => {} };
    const pick = (s: OAuthServer, m: AuthorizationServerMetadata, p = publicUrl) =>
      clientFor({ ...app.deps, publicUrl: p }, app.deps.db, {
        server: s,
        issuer: 'https://as.test',
        metadata: m,
        fetchFn: fetch,
      });
    expect(await pick(server, metadata)).toEqual({
      info: { client_id: 'https://strongroom.test/oauth/mcp/client-metadata.json' },
      kind: 'metadata_document',
    });
    // Not supported, or PUBLIC_URL not https: the admin's pre-registered client.
    expect((await pick(server, { issuer: 'https://as.test' } as AuthorizationServerMetadata)).kind).toBe(
      'pre_registered',
    );
    expect((await pick(server, metadata, { get: () => 'http://strongroom.test', setDefault: () => {} })).kind).toBe(
      'pre_registered',
    );
    // Neither, and no registration endpoint: a clear refusal naming what to set.
    await expect(
      pick({ ...server, oauth_client_id: null }, { issuer: 'https://as.test' } as AuthorizationServerMetadata),
    ).rejects.toMatchObject({ reason: 'MCP_OAUTH_CLIENT_REQUIRED' });
  });
});
