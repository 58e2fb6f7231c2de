import { hasIpv6Loopback, startMcpTestServer, type TestServer } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../core/config';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestApp, type TestApp } from '../../test/support/harness';

const TOKEN = 'mcp-token-for-guard-tests-1234';
const ipv6 = await hasIpv6Loopback();
let app: TestApp;
let admin: ReturnType<TestApp['caller']>;
let mcp: TestServer;
let mcp6: TestServer | undefined;
let tokenId: string;

beforeAll(async () => {
  [mcp, mcp6] = await Promise.all([
    startMcpTestServer({ token: TOKEN }),
    ipv6 ? startMcpTestServer({ token: TOKEN, host: '::1' }) : undefined,
  ]);
  // Allowed by name only: 127.0.0.1 itself stays blocked.
  app = await createTestApp({
    env: { MCP_ALLOWED_HOSTS: 'localhost, ::1', MCP_CONNECT_TIMEOUT_MS: '1000', REVEAL_RATE_LIMIT: '10' },
  });
  admin = app.caller(app.orgA.adminToken);
  tokenId = (await admin.secrets.create({ name: 'guard-mcp-token', value: TOKEN, scope: 'agent' })).id;
});
afterAll(async () => {
  await app.close();
  await Promise.all([mcp.close(), mcp6?.close()]);
});

const byName = (url: string) => url.replace('127.0.0.1', 'localhost');

describe('mcpServers.validate by host name', () => {
  it('lists the tools of a real MCP server reached as localhost (IPv4), allowed through MCP_ALLOWED_HOSTS', async () => {
    const result = await admin.mcpServers.validate({ url: byName(mcp.url), secretRef: tokenId });
    expect(result).toMatchObject({
      ok: true,
      tools: expect.arrayContaining([expect.objectContaining({ name: 'echo' })]),
    });
    const stored = await admin.mcpServers.create({ name: 'by name', url: byName(mcp.url), secretRef: tokenId });
    expect(await admin.mcpServers.validate({ id: stored.id })).toMatchObject({ ok: true });
  });

  it.runIf(ipv6)('lists the tools of a real MCP server on IPv6 loopback [::1] (this machine has it)', async () => {
    expect(await admin.mcpServers.validate({ url: mcp6!.url, secretRef: tokenId })).toMatchObject({ ok: true });
  });
});

describe('mcpServers.create and update refuse blocked destinations', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://[fd00:ec2::254]/mcp', /cloud metadata/],
    ['http://10.0.0.8/mcp', /private-network/],
    ['http://127.0.0.1:9/mcp', /loopback/],
    ['http://[::127.0.0.1]/mcp', /embeds an IPv4/],
    ['http://[64:ff9b:1::a9fe:a9fe]/mcp', /embeds an IPv4/],
  ])('refuses %s with BAD_REQUEST on `url`, saying why, and writes nothing', async (url, why) => {
    const before = await admin.mcpServers.list();
    const err = await expectTRPCError(admin.mcpServers.create({ name: 'x', url }), 'BAD_REQUEST');
    expect(err.message).toMatch(why);
    expect(err.message).toMatch(/MCP_ALLOWED_HOSTS/);
    expect(err.cause).toMatchObject({ field: 'url', reason: 'BLOCKED_ADDRESS' });
    expect(await admin.mcpServers.list()).toEqual(before);
  });

  it('update refuses a blocked URL and keeps the stored one', async () => {
    const server = await admin.mcpServers.create({ name: 'to move', url: byName(mcp.url) });
    const err = await expectTRPCError(
      admin.mcpServers.update({ id: server.id, url: 'http://169.254.169.254/' }),
      'BAD_REQUEST',
    );
    expect(err.cause).toMatchObject({ field: 'url' });
    expect((await admin.mcpServers.get({ id: server.id })).url).toBe(byName(mcp.url));
    expect(await admin.mcpServers.update({ id: server.id, name: 'renamed' })).toMatchObject({ name: 'renamed' });
  });

  it('accepts what the operator allowed, and a name that does not resolve yet (checked at every connection)', async () => {
    await expect(admin.mcpServers.create({ name: 'v6', url: 'http://[::1]:8000/mcp' })).resolves.toBeTruthy();
    await expect(
      admin.mcpServers.create({ name: 'later', url: 'https://mcp.not-yet.invalid/mcp' }),
    ).resolves.toBeTruthy();
  });
});

describe('validate sends a secret: a use of it, like a reveal', () => {
  it('audits the secret id and destination host before sending, never the value', async () => {
    const url = byName(mcp.url);
    const result = await admin.mcpServers.validate({ url, secretRef: tokenId });
    expect(result).toMatchObject({ ok: true });
    const uses = await admin.audit.list({ action: 'secret.use', targetId: tokenId });
    expect(uses.items[0]).toMatchObject({
      actorId: app.orgA.adminUserId,
      metadata: { secretId: tokenId, host: new URL(url).host, via: 'mcp.validate', mcpServerId: null },
    });
    const validations = await admin.audit.list({ action: 'mcp.validate' });
    expect(validations.items[0]?.metadata).toMatchObject({ secretId: tokenId, host: new URL(url).host, ok: true });
    expect(JSON.stringify([uses, validations])).not.toContain(TOKEN);
  });

  it('counts against the reveal limit of the person, shared with reveals, however many tokens they mint', async () => {
    const person = await admin.members.add({ email: 'validator@acme.test', role: 'admin' });
    const first = app.caller(person.token);
    const second = app.caller((await first.tokens.create({ name: 'second', kind: 'user' })).token);
    const url = byName(mcp.url);
    for (let i = 0; i < 5; i++) await first.secrets.reveal({ id: tokenId });
    for (let i = 0; i < 5; i++) await [first, second][i % 2]!.mcpServers.validate({ url, secretRef: tokenId });
    const before = mcp.hits;
    for (const caller of [
      first,
      second,
      app.caller((await first.tokens.create({ name: 'third', kind: 'user' })).token),
    ]) {
      await expectTRPCError(caller.mcpServers.validate({ url, secretRef: tokenId }), 'TOO_MANY_REQUESTS');
      await expectTRPCError(caller.secrets.reveal({ id: tokenId }), 'TOO_MANY_REQUESTS');
    }
    expect(mcp.hits).toBe(before); // refused before anything was sent
    // Validating without a secret sends nothing and is not limited.
    expect(await first.mcpServers.validate({ url })).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });
});

describe('MCP_ALLOWED_HOSTS', () => {
  it('a malformed entry fails configuration at start, naming the variable', () => {
    expect(() => loadConfig({ MCP_ALLOWED_HOSTS: 'localhost,10.0.0.0/99' })).toThrow(ConfigError);
    expect(() => loadConfig({ MCP_ALLOWED_HOSTS: 'http://x' })).toThrow(/MCP_ALLOWED_HOSTS entries/);
    expect(loadConfig({ MCP_ALLOWED_HOSTS: 'localhost, 10.0.0.0/8 ::1' }).mcpAllowedHosts).toEqual([
      'localhost',
      '10.0.0.0/8',
      '::1',
    ]);
  });
});
