import { startMcpTestServer, startPlainHttpServer, startSilentServer, type TestServer } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDestination, parseAllowlist } from './address-guard';
import { probeMcpServer } from './probe';

const TOKEN = 'mcp-test-token-1234567890';
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

describe('address guard', () => {
  const none = parseAllowlist([]);
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://127.0.0.1:8080/',
    'http://10.1.2.3/',
    'http://192.168.0.10/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://0.0.0.0/',
    'http://localhost/',
  ])('refuses %s by default', async (url) => {
    await expect(checkDestination(new URL(url), none)).rejects.toThrow(/MCP_ALLOWED_HOSTS|resolves to/);
  });

  it('refuses schemes other than http and https', async () => {
    await expect(checkDestination(new URL('file:///etc/passwd'), none)).rejects.toThrow(/only http and https/);
  });

  it('allows what the allowlist names: a host, an address, a CIDR', async () => {
    await expect(checkDestination(new URL('http://localhost/'), parseAllowlist(['localhost']))).resolves.toBeTruthy();
    await expect(checkDestination(new URL('http://10.1.2.3/'), parseAllowlist(['10.0.0.0/8']))).resolves.toMatchObject({
      address: '10.1.2.3',
    });
    await expect(checkDestination(new URL('http://127.0.0.1/'), loopback)).resolves.toMatchObject({
      address: '127.0.0.1',
      family: 4,
    });
    await expect(checkDestination(new URL('http://127.0.0.2/'), loopback)).rejects.toThrow();
  });

  it('checks after DNS resolution, and the probe reports it', async () => {
    const result = await probe(mcp.url.replace('127.0.0.1', 'localhost'), TOKEN, {
      ...options,
      allow: parseAllowlist([]),
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'BLOCKED_ADDRESS' } });
  });
});
