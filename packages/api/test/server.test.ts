import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/server';
import { createTestApp, startTestServer, type TestApp } from './support/harness';

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  app = await createTestApp();
  server = await startTestServer(app);
});
afterAll(async () => {
  await server.close();
  await app.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });

describe('HTTP server', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ ok: true });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, database: 'up', keyring: 'up' });
  });

  it('reports an unreachable keyring on /readyz with 503', async () => {
    const keyring = { ...app.deps.keyring, check: () => Promise.reject(new Error('down')) };
    const broken = await buildServer({ ...app.deps, keyring });
    const res = await broken.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ok: false, database: 'up', keyring: 'down' });
  });

  it('sends security headers and a request id, keeping a sane incoming one', async () => {
    const res = await get('/healthz', { 'x-request-id': 'trace-123' });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // HSTS only over TLS: see http-policy.test.ts.
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    // API answers are never stored (a resolve is a GET that returns a value) nor rendered.
    const api = await get('/trpc/me', { authorization: `Bearer ${app.orgA.adminToken}` });
    expect(api.status).toBe(200);
    expect(api.headers.get('cache-control')).toBe('no-store');
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('DENY');
    const forged = await get('/healthz', { 'x-request-id': 'fake "log" line' });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers UNAUTHORIZED without a token and for a malformed one', async () => {
    for (const authorization of [undefined, 'Bearer nope', 'Basic abc', `Bearer ${app.orgA.adminToken}x`]) {
      const res = await get('/trpc/me', authorization ? { authorization } : {});
      expect(res.status).toBe(401);
    }
  });

  it('never sends a stack or an internal message to the client', async () => {
    const res = await get(`/trpc/secrets.get?input=${encodeURIComponent(JSON.stringify({ id: 'x' }))}`, {
      authorization: `Bearer ${app.orgA.adminToken}`,
    });
    const body = (await res.json()) as { error: { data: unknown } };
    expect(res.status).toBe(400);
    expect(JSON.stringify(body)).not.toMatch(/stack|at \w+ \(|node_modules/);
    expect(body.error.data).toMatchObject({ code: 'BAD_REQUEST', field: 'id' });
  });

  it('logs requests without the authorization header or the query string', async () => {
    await get(`/trpc/me?input=${encodeURIComponent('{"probe":"query-marker"}')}`, {
      authorization: `Bearer ${app.orgA.adminToken}`,
    });
    const logs = app.logs.join('\n');
    expect(logs).toContain('/trpc/me');
    expect(logs).not.toContain(app.orgA.adminToken);
    expect(logs).not.toContain('query-marker');
  });
});
