import { request } from 'node:http';
import { Readable } from 'node:stream';
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

const MiB = 1024 * 1024;

/**
 * Streams `total` bytes of a multipart body from one reused chunk (so the client itself holds
 * almost nothing) and resolves with the server's status, how long it took, and how much was sent.
 */
function streamUpload(total: number): Promise<{ status: number; ms: number; sent: number }> {
  const boundary = 'x-boundary';
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent === 0) this.push(`--${boundary}\r\ncontent-disposition: form-data; name="name"\r\n\r\n`);
      if (sent >= total) return void this.push(null);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/trpc/agents.create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${app.orgA.memberToken}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(total + 200),
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, sent });
      body.destroy();
      req.destroy();
    });
    // The server closes the connection after refusing; the rest of the upload has nowhere to go.
    req.on('error', (err) => (sent > 0 ? undefined : reject(err)));
    body.pipe(req);
  });
}

const post = (path: string, headers: Record<string, string>, body?: string) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.orgA.adminToken}`, ...headers },
    body,
  });

describe('request bodies', () => {
  it('refuses a large multipart upload with 415 before reading it, and memory stays bounded', async () => {
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    const { status, ms, sent } = await streamUpload(128 * MiB);
    const grown = process.memoryUsage().rss - before;
    expect(status).toBe(415);
    expect(ms).toBeLessThan(5_000);
    expect(sent).toBeLessThan(128 * MiB);
    expect(grown).toBeLessThan(48 * MiB);
    // The server is fine afterwards.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 20_000);

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }, '{"name":"a","value":"v","scope":"org"}'],
    ['form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=a&value=v&scope=org'],
    ['octet-stream', { 'content-type': 'application/octet-stream' }, 'abc'],
    ['an empty multipart', { 'content-type': 'multipart/form-data; boundary=x' }, undefined],
    ['no content type', {}, '{"name":"a","value":"v","scope":"org"}'],
  ])('refuses %s with 415 and writes nothing', async (_label, headers, body) => {
    const res = await post('/trpc/secrets.create', headers, body);
    expect(res.status).toBe(415);
    expect(res.headers.get('connection')).toBe('close');
    expect(((await res.json()) as { message: string }).message).toMatch(/application\/json/);
    expect((await app.caller(app.orgA.adminToken).secrets.list({ search: 'a' })).items).toEqual([]);
  });

  it('accepts JSON (with a charset) and bounds it at 1 MiB', async () => {
    const ok = await post(
      '/trpc/secrets.create',
      { 'content-type': 'application/json; charset=utf-8' },
      JSON.stringify({ name: 'json-ok', value: 'v', scope: 'org' }),
    );
    expect(ok.status).toBe(200);
    const big = await post(
      '/trpc/secrets.create',
      { 'content-type': 'application/json' },
      JSON.stringify({ name: 'big', value: 'x'.repeat(MiB), scope: 'org' }),
    );
    expect(big.status).toBe(413);
  });
});

describe('HSTS', () => {
  const hsts = async (trustProxy: boolean | string[], headers: Record<string, string>) => {
    const instance = await buildServer({ ...app.deps, config: { ...app.deps.config, trustProxy } });
    const res = await instance.inject({ url: '/healthz', headers });
    await instance.close();
    return res.headers['strict-transport-security'];
  };

  it('is not sent over plain HTTP', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('is not sent when an untrusted client claims https', async () => {
    expect(await hsts([], { 'x-forwarded-proto': 'https' })).toBeUndefined();
    expect(await hsts(['10.0.0.1'], { 'x-forwarded-proto': 'https' })).toBeUndefined();
  });

  it('is sent when a trusted proxy says the request came over https', async () => {
    expect(await hsts(['127.0.0.1'], { 'x-forwarded-proto': 'https' })).toBe('max-age=31536000; includeSubDomains');
    expect(await hsts(true, { 'x-forwarded-proto': 'https' })).toMatch(/max-age=31536000/);
    expect(await hsts(['127.0.0.1'], { 'x-forwarded-proto': 'http' })).toBeUndefined();
  });
});
