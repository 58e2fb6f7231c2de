import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, startTestServer, type TestApp } from '../../test/support/harness';
import { AUTH_FAILURE_LIMIT, createAuthThrottle, throttleKey } from './auth-throttle';
import { generateToken } from './token-format';

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  // Trusting the loopback proxy lets each test speak from its own client address.
  app = await createTestApp({ env: { TRUST_PROXY: '127.0.0.1' } });
  server = await startTestServer(app);
});
afterAll(async () => {
  await server.close();
  await app.close();
});

const me = (token: string, from: string) =>
  fetch(`${server.url}/trpc/me`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': from } });
const badToken = () => generateToken('user').token;

describe('failed authentication is throttled per client address', () => {
  it('answers 429 with Retry-After once an address has used up its failures, and only for that address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_FAILURE_LIMIT + 30; i++) statuses.push((await me(badToken(), '203.0.113.7')).status);
    expect(statuses.slice(0, AUTH_FAILURE_LIMIT)).toEqual(Array(AUTH_FAILURE_LIMIT).fill(401));
    expect(statuses.slice(AUTH_FAILURE_LIMIT)).toEqual(Array(30).fill(429));

    const limited = await me(badToken(), '203.0.113.7');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await limited.json()) as { error: { data: { code: string; reason: string } } };
    expect(body.error.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'AUTH_RATE_LIMITED' });
    // Malformed tokens count too, and are refused the same way.
    expect((await me('nope', '203.0.113.7')).status).toBe(429);

    expect((await me(badToken(), '203.0.113.8')).status).toBe(401);
    expect((await me(app.orgA.adminToken, '203.0.113.8')).status).toBe(200);
  });

  it('lets a token this instance already trusts through from a throttled address, but no new lookups', async () => {
    const from = '198.51.100.20';
    const { token: untrusted } = await app.caller(app.orgA.adminToken).tokens.create({ name: 'new', kind: 'user' });
    expect((await me(app.orgA.memberToken, from)).status).toBe(200);
    for (let i = 0; i < AUTH_FAILURE_LIMIT; i++) await me(badToken(), from);
    expect((await me(badToken(), from)).status).toBe(429);
    expect((await me(app.orgA.memberToken, from)).status).toBe(200);
    expect((await me(untrusted, from)).status).toBe(429);
    expect((await me(untrusted, '198.51.100.21')).status).toBe(200);
  });

  it('counts IPv6 clients per /64 and IPv4-mapped addresses as IPv4', () => {
    expect(throttleKey('2001:db8:1:2:aaaa::1')).toBe(throttleKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(throttleKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(throttleKey('2001:db8:1:3::1')).not.toBe(throttleKey('2001:db8:1:2::1'));
    expect(throttleKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(throttleKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(throttleKey('::1')).toBe('0:0:0:0::/64');
  });

  it('forgets failures when the window ends', () => {
    let now = 1_000_000;
    const throttle = createAuthThrottle({ limit: 2, windowMs: 10_000, now: () => now });
    throttle.fail('192.0.2.9');
    throttle.fail('192.0.2.9');
    expect(() => throttle.check('192.0.2.9')).toThrow(/Too many failed authentication attempts/);
    now += 10_000;
    expect(() => throttle.check('192.0.2.9')).not.toThrow();
  });
});
