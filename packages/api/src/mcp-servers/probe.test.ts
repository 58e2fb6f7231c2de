import { lookup } from 'node:dns/promises';
import { parseAllowlist } from '@strongroom/address-guard';
import {
  hasIpv6Loopback,
  startMcpTestServer,
  startPlainHttpServer,
  startSilentServer,
  type TestServer,
} from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMcpServer } from './probe';

const TOKEN = 'mcp-test-token-1234567890';
const ipv6 = await hasIpv6Loopback();
const localhostHasV6 = (await lookup('localhost', { all: true })).some((a) => a.address === '::1');
const loopback = parseAllowlist(['127.0.0.1']);
const options = { allow: loopback, connectTimeoutMs: 700, requestTimeoutMs: 700 };
let mcp: TestServer;
let plain: TestServer;
let silent: TestServer;

beforeAll(async () => {
  [mcp, plain, silent] = await Promise.all([
    startMcpTestServer({ token: TOKEN }),
    startPlainHttpServer(),
    startSilentServer(),
  ]);
});
afterAll(async () => {
  await Promise.all([mcp.close(), plain.close(), silent.close()]);
});

/** Runs a probe and checks it ends within the timeouts, never hanging. */
async function probe(url: string, token: string | null, opts = options) {
  const started = Date.now();
  const result = await probeMcpServer(url, token, opts);
  expect(Date.now() - started).toBeLessThan(opts.connectTimeoutMs + opts.requestTimeoutMs + 1_500);
  expect(JSON.stringify(result)).not.toContain(TOKEN);
  return result;
}

describe('probeMcpServer', () => {
  it('lists the tools of a real MCP server with the right token', async () => {
    const result = await probe(mcp.url, TOKEN);
    expect(result).toEqual({
      ok: true,
      tools: expect.arrayContaining([expect.objectContaining({ name: 'echo', description: 'Echoes the text back' })]),
    });
  });

  it.each([
    [
      'a wrong token',
      (): [string, string | null] => [mcp.url, 'wrong-token'],
      'UNAUTHORIZED',
      /rejected the credentials \(HTTP 401\)/,
    ],
    ['no token', (): [string, string | null] => [mcp.url, null], 'UNAUTHORIZED', /HTTP 401/],
    [
      'a stopped server',
      (): [string, string | null] => ['http://127.0.0.1:9/mcp', TOKEN],
      'UNREACHABLE',
      /could not be reached \(ECONNREFUSED\)/,
    ],
    [
      'a server that never answers',
      (): [string, string | null] => [silent.url, TOKEN],
      'TIMEOUT',
      /did not answer within/,
    ],
    ['a plain web page', (): [string, string | null] => [plain.url, TOKEN], 'NOT_MCP', /not as an MCP server/],
  ] as const)('gives its own clear error for %s', async (_label, args, code, message) => {
    const [url, token] = args();
    const result = await probe(url, token);
    expect(result).toMatchObject({ ok: false, error: { code } });
    expect(!result.ok && result.error.message).toMatch(message);
  });
});

describe('the address guard in the probe', () => {
  it('reaches a real MCP server by host name (localhost) allowed by name', async () => {
    const byName = mcp.url.replace('127.0.0.1', 'localhost');
    const result = await probe(byName, TOKEN, { ...options, allow: parseAllowlist(['localhost']) });
    expect(result).toMatchObject({
      ok: true,
      tools: expect.arrayContaining([expect.objectContaining({ name: 'add' })]),
    });
  });

  it('checks after DNS resolution, and the probe reports it', async () => {
    const result = await probe(mcp.url.replace('127.0.0.1', 'localhost'), TOKEN, {
      ...options,
      allow: parseAllowlist([]),
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'BLOCKED_ADDRESS', message: /localhost resolves to/ } });
  });

  it('reports a name that does not resolve as unreachable', async () => {
    const result = await probe('http://nowhere.invalid/mcp', TOKEN);
    expect(result).toMatchObject({ ok: false, error: { code: 'UNREACHABLE', message: /did not resolve/ } });
  });

  describe.runIf(ipv6)('over IPv6 loopback (this machine has ::1)', () => {
    let v6: TestServer;
    beforeAll(async () => {
      v6 = await startMcpTestServer({ token: TOKEN, host: '::1' });
    });
    afterAll(() => v6.close());

    it('reaches a real MCP server on [::1] allowed by address, and refuses it otherwise', async () => {
      expect(await probe(v6.url, TOKEN, { ...options, allow: parseAllowlist(['::1']) })).toMatchObject({ ok: true });
      expect(await probe(v6.url, TOKEN)).toMatchObject({ ok: false, error: { code: 'BLOCKED_ADDRESS' } });
      // Where /etc/hosts also gives localhost ::1, Node races both addresses: the IPv6 one must work.
      // (Elsewhere the guard's own tests cover a name with both addresses.)
      if (localhostHasV6) {
        const byName = v6.url.replace('[::1]', 'localhost');
        expect(await probe(byName, TOKEN, { ...options, allow: parseAllowlist(['localhost']) })).toMatchObject({
          ok: true,
        });
      }
    });
  });
});
