import { createStrongroomClient } from '@strongroom/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAgent, createTestApp, startTestServer, type TestApp } from '../test/support/harness';

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let secretId: string;

beforeAll(async () => {
  app = await createTestApp();
  server = await startTestServer(app);
  secretId = (
    await app.caller(app.orgA.adminToken).secrets.create({ name: 'direct', value: 'direct-value', scope: 'agent' })
  ).id;
});
afterAll(async () => {
  await server.close();
  await app.close();
});

const call = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${server.url}/trpc/${path}`, {
    ...init,
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.headers as Record<string, string>),
    },
  });
const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

describe('hot procedures served without the fetch adapter', () => {
  it('answer in tRPC’s wire format, plain and as a batch of one, with the usual headers', async () => {
    const token = app.orgA.adminToken;
    const plain = await call(`secrets.get?input=${input({ id: secretId })}`, {
      token,
      headers: { 'x-request-id': 'hot-1' },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('x-request-id')).toBe('hot-1');
    expect(plain.headers.get('cache-control')).toBe('no-store');
    expect(plain.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    const meta = (await plain.json()) as { result: { data: { id: string; usedBy: unknown[] } } };
    expect(meta.result.data).toMatchObject({ id: secretId, name: 'direct', version: 1, usedBy: [] });
    const batch = await call(`secrets.get?batch=1&input=${input({ 0: { id: secretId } })}`, { token });
    expect(await batch.json()).toEqual([meta]);
    // The typed client (httpBatchLink) gets the same, and a revealed value.
    const client = createStrongroomClient({ url: server.url, token });
    expect(await client.secrets.get.query({ id: secretId })).toEqual(meta.result.data);
    expect(await client.secrets.reveal.mutate({ id: secretId, reason: 'direct test' })).toEqual({
      id: secretId,
      version: 1,
      value: 'direct-value',
    });
    const reveal = await call('secrets.reveal', { method: 'POST', token, body: JSON.stringify({ id: secretId }) });
    expect(await reveal.json()).toEqual({ result: { data: { id: secretId, version: 1, value: 'direct-value' } } });
  });

  it('answer errors exactly as the tRPC handler does', async () => {
    // secrets.list goes through tRPC's handler: the two must agree but for the path.
    const direct = await call(`secrets.get?input=${input({ id: secretId })}`, { headers: { 'x-request-id': 'e-1' } });
    const viaTrpc = await call('secrets.list', { headers: { 'x-request-id': 'e-1' } });
    expect(direct.status).toBe(401);
    expect(viaTrpc.status).toBe(401);
    const body = (await direct.json()) as { error: { data: { path: string } } };
    const expected = (await viaTrpc.json()) as { error: { data: { path: string } } };
    expect(body).toEqual({ error: { ...expected.error, data: { ...expected.error.data, path: 'secrets.get' } } });

    const token = app.orgA.adminToken;
    const badField = await call(`secrets.get?input=${input({ id: 'nope' })}`, { token });
    expect(badField.status).toBe(400);
    expect(await badField.json()).toMatchObject({ error: { data: { code: 'BAD_REQUEST', field: 'id' } } });
    const notJson = await call(`secrets.get?input=${encodeURIComponent('{"id": "sk-live-quoted')}`, { token });
    expect(notJson.status).toBe(400);
    const text = await notJson.text();
    expect(JSON.parse(text)).toMatchObject({ error: { message: 'The input is not valid JSON' } });
    expect(text).not.toContain('sk-live-quoted');
    // A worker token on an admin procedure.
    const forbidden = await call(`secrets.get?input=${input({ id: secretId })}`, { token: app.orgA.workerToken });
    expect(forbidden.status).toBe(403);
    // A query sent as POST goes to tRPC's handler (method override) and gets the same answer.
    const posted = await call('secrets.get', { method: 'POST', token, body: JSON.stringify({ id: secretId }) });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toMatchObject({ result: { data: { id: secretId, name: 'direct' } } });
  });

  it('run each procedure’s middleware chain as tRPC’s handler does, success or failure', async () => {
    // A query sent as POST goes to tRPC's handler: every answer must match the direct route's.
    const agentId = await createTestAgent(app, app.orgA);
    const { orgA, orgB } = app;
    const resolve = { orgId: orgA.orgId, secretId, agentId };
    const cases: [path: string, input: unknown, token: string | undefined][] = [
      ['internal.resolveSecret', resolve, orgA.workerToken],
      ['internal.resolveSecret', { ...resolve, orgId: orgB.orgId }, orgA.workerToken],
      ['internal.resolveSecret', { ...resolve, secretId: 'nope' }, orgA.workerToken],
      ['internal.resolveSecret', { ...resolve, extra: 1 }, orgA.workerToken],
      ['internal.resolveSecret', resolve, orgB.workerToken],
      ['internal.resolveSecret', resolve, orgA.adminToken],
      ['internal.resolveSecret', resolve, undefined],
      ['secrets.get', { id: secretId }, orgA.adminToken],
      ['secrets.get', { id: secretId }, orgB.adminToken],
      ['secrets.get', {}, orgA.adminToken],
    ];
    for (const [path, given, token] of cases) {
      const direct = await call(`${path}?input=${input(given)}`, { token, headers: { 'x-request-id': 'same' } });
      const viaTrpc = await call(path, {
        method: 'POST',
        token,
        body: JSON.stringify(given),
        headers: { 'x-request-id': 'same' },
      });
      expect([path, given, direct.status]).toEqual([path, given, viaTrpc.status]);
      expect(await direct.json()).toEqual(await viaTrpc.json());
    }
  });

  it('resolves for the runtime, and leaves streaming requests to tRPC’s handler', async () => {
    const agentId = await createTestAgent(app, app.orgA);
    const req = { orgId: app.orgA.orgId, secretId, agentId };
    const token = app.orgA.workerToken;
    const plain = await call(`internal.resolveSecret?input=${input(req)}`, { token });
    expect(await plain.json()).toEqual({ result: { data: { id: secretId, version: 1, value: 'direct-value' } } });
    const streamed = await call(`internal.resolveSecret?batch=1&input=${input({ 0: req })}`, {
      token,
      headers: { 'trpc-accept': 'application/jsonl' },
    });
    expect(streamed.status).toBe(200);
    const text = await streamed.text();
    expect(text).toContain('direct-value');
    // jsonl: a first line that is not the plain batch array.
    expect(Array.isArray(JSON.parse(text.split('\n')[0]!))).toBe(false);
  });

  it('logs one line per request, with its path, status and request id', async () => {
    const before = app.logs.length;
    await call(`secrets.get?input=${input({ id: secretId })}`, {
      token: app.orgA.adminToken,
      headers: { 'x-request-id': 'one-line' },
    });
    const lines = app.logs.slice(before).filter((l) => l.includes('one-line'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'request completed',
      reqId: 'one-line',
      req: { method: 'GET', url: '/trpc/secrets.get', reqId: 'one-line' },
      res: { statusCode: 200 },
    });
  });
});
