import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  hasIpv6Loopback,
  type LoopbackHost,
  startPlainHttpServer,
  startSilentServer,
  type TestServer,
} from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressGuardError, createGuardedFetch, parseAllowlist, pinnedLookup, type Resolve } from '../src/index';

const ipv6 = await hasIpv6Loopback();
let plain: TestServer;
let echo: { url: string; server: Server };

/** Answers with what it received; `/redirect` answers 302 to the metadata address. */
async function startEchoServer(host: LoopbackHost = '127.0.0.1') {
  const server = createServer((req, res) => {
    if (req.url === '/redirect') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      return res.end();
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ method: req.method, authorization: req.headers.authorization, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}`, server };
}

beforeAll(async () => {
  [plain, echo] = await Promise.all([startPlainHttpServer(), startEchoServer()]);
});
afterAll(async () => {
  await plain.close();
  await new Promise((resolve) => echo.server.close(resolve));
});

const portOf = (url: string) => new URL(url).port;

describe('pinnedLookup', () => {
  const addresses = [
    { address: '::1', family: 6 as const },
    { address: '127.0.0.1', family: 4 as const },
  ];
  const ask = (options: { all?: boolean; family?: number }) =>
    new Promise<unknown>((resolve) =>
      pinnedLookup(addresses)('x.example', options, (err, address, family) =>
        resolve(err ? err.code : options.all ? address : { address, family }),
      ),
    );

  it('answers `all: true` (autoSelectFamily) with every checked address', async () => {
    expect(await ask({ all: true })).toEqual(addresses);
    expect(await ask({ all: true, family: 4 })).toEqual([addresses[1]]);
  });

  it('answers a single lookup with the first checked address of the family asked for', async () => {
    expect(await ask({})).toEqual({ address: '::1', family: 6 });
    expect(await ask({ family: 4 })).toEqual({ address: '127.0.0.1', family: 4 });
    expect(await new Promise((r) => pinnedLookup([addresses[1]!])('x', { family: 6 }, (e) => r(e?.code)))).toBe(
      'ENOTFOUND',
    );
  });
});

describe('createGuardedFetch', () => {
  it('reaches a server by host name, as Node asks for all its addresses', async () => {
    const fetch = createGuardedFetch({ allow: parseAllowlist(['localhost']), timeoutMs: 2_000 });
    const res = await fetch(`http://localhost:${portOf(plain.url)}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('It works!');
  });

  it('passes method, headers and body, and gives back status, headers and body', async () => {
    const fetch = createGuardedFetch({ allow: parseAllowlist(['localhost']) });
    const res = await fetch(new Request(`${echo.url}/x`, { method: 'POST', headers: { authorization: 'Bearer t' } }), {
      body: '{"a":1}',
      method: 'POST',
    });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await res.json()).toEqual({ method: 'POST', authorization: 'Bearer t', body: '{"a":1}' });
  });

  it('refuses a blocked destination before connecting', async () => {
    const fetch = createGuardedFetch({ allow: parseAllowlist([], { setting: 'MCP_ALLOWED_HOSTS' }) });
    const before = plain.hits;
    await expect(fetch(plain.url)).rejects.toThrow(AddressGuardError);
    await expect(fetch(`http://localhost:${portOf(plain.url)}/`)).rejects.toMatchObject({ code: 'BLOCKED_ADDRESS' });
    expect(plain.hits).toBe(before);
  });

  it('connects to the address it checked: the name is resolved once per request, never again', async () => {
    const answers = [['127.0.0.1'], ['10.0.0.9']];
    const calls: string[] = [];
    const resolve: Resolve = async (host) => {
      calls.push(host);
      return answers.shift()!.map((address) => ({ address, family: 4 }));
    };
    // Only the address is allowed, not the name: the check is on what the name resolved to.
    const fetch = createGuardedFetch({ allow: parseAllowlist(['127.0.0.1']), resolve });
    const before = plain.hits;
    // rebind.test resolves nowhere but in `resolve`: success proves no second (system) lookup.
    expect((await fetch(`http://rebind.test:${portOf(plain.url)}/`)).status).toBe(200);
    expect(calls).toEqual(['rebind.test']);
    await expect(fetch(`http://rebind.test:${portOf(plain.url)}/`)).rejects.toMatchObject({
      code: 'BLOCKED_ADDRESS',
      message: expect.stringMatching(/resolves to 10\.0\.0\.9/),
    });
    expect(plain.hits).toBe(before + 1);
  });

  it('returns redirects instead of following them', async () => {
    const fetch = createGuardedFetch({ allow: parseAllowlist(['localhost']) });
    const res = await fetch(`${echo.url}/redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/169\.254\.169\.254/);
  });

  it('gives up on a server that never answers after timeoutMs', async () => {
    const silent = await startSilentServer();
    try {
      const fetch = createGuardedFetch({ allow: parseAllowlist(['127.0.0.1']), timeoutMs: 300 });
      const started = Date.now();
      await expect(fetch(silent.url)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await silent.close();
    }
  });

  describe.runIf(ipv6)('over IPv6 loopback (this machine has ::1)', () => {
    // A name with both loopback addresses, as /etc/hosts gives `localhost` on most systems.
    const dual: Resolve = async () => [
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ];
    const fetch = createGuardedFetch({ allow: parseAllowlist(['dual.test']), resolve: dual, timeoutMs: 2_000 });

    it('reaches a server listening only on ::1 by name', async () => {
      const v6 = await startPlainHttpServer({ host: '::1' });
      try {
        expect((await fetch(`http://dual.test:${portOf(v6.url)}/`)).status).toBe(200);
        expect(v6.hits).toBe(1);
      } finally {
        await v6.close();
      }
    });

    it('falls back to IPv4 when the name has both and the server listens only on 127.0.0.1', async () => {
      const before = plain.hits;
      expect((await fetch(`http://dual.test:${portOf(plain.url)}/`)).status).toBe(200);
      expect(plain.hits).toBe(before + 1);
    });

    it('reaches [::1] given as a literal when allowed', async () => {
      const v6 = await startPlainHttpServer({ host: '::1' });
      try {
        const literal = createGuardedFetch({ allow: parseAllowlist(['::1']) });
        expect((await literal(v6.url)).status).toBe(200);
        await expect(createGuardedFetch({ allow: parseAllowlist([]) })(v6.url)).rejects.toMatchObject({
          code: 'BLOCKED_ADDRESS',
        });
      } finally {
        await v6.close();
      }
    });
  });
});
