import { createStrongroomClient, isStrongroomError, type StrongroomClient } from '@strongroom/client';
import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../src/router';
import { createTestApp, startTestServer, type TestApp } from './support/harness';

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let admin: ReturnType<TestApp['caller']>;
let http: StrongroomClient;
let secretId: string;

beforeAll(async () => {
  app = await createTestApp();
  server = await startTestServer(app);
  admin = app.caller(app.orgA.adminToken);
  http = createStrongroomClient({ url: server.url, token: app.orgA.adminToken });
  secretId = (await admin.secrets.create({ name: 'fuzz-target', value: 'v', scope: 'org' })).id;
});
afterAll(async () => {
  await server.close();
  await app.close();
});

/** The field a BAD_REQUEST names, as the client sees it over HTTP. */
async function fieldOf(call: Promise<unknown>): Promise<string | undefined> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isStrongroomError(err, 'BAD_REQUEST')) throw new Error(`expected BAD_REQUEST, got ${String(err)}`);
  expect(err.data?.httpStatus).toBe(400);
  return err.data?.field;
}

describe('bad input is BAD_REQUEST naming the field', () => {
  it.each([
    ['wrong type', { name: 42, value: 'v', scope: 'org' }, 'name'],
    ['unknown field', { name: 'ok', value: 'v', scope: 'org', extra: 1 }, '(input)'],
    ['oversized value', { name: 'ok', value: 'x'.repeat(64 * 1024 + 1), scope: 'org' }, 'value'],
    ['multibyte value over 64 KiB', { name: 'ok', value: 'é'.repeat(40_000), scope: 'org' }, 'value'],
    ['empty value', { name: 'ok', value: '', scope: 'org' }, 'value'],
    ['oversized name', { name: 'n'.repeat(129), value: 'v', scope: 'org' }, 'name'],
    ['name with a slash', { name: 'a/b', value: 'v', scope: 'org' }, 'name'],
    ['blank name', { name: '   ', value: 'v', scope: 'org' }, 'name'],
    ['unknown scope', { name: 'ok', value: 'v', scope: 'world' }, 'scope'],
    [
      'control characters in the description',
      { name: 'ok', value: 'v', scope: 'org', description: 'a\u0000b' },
      'description',
    ],
  ])('secrets.create with %s', async (_label, input, field) => {
    expect(await fieldOf(http.secrets.create.mutate(input as never))).toBe(field);
  });

  it('rejects a malformed UUID', async () => {
    expect(await fieldOf(http.secrets.get.query({ id: 'not-a-uuid' }))).toBe('id');
    expect(await fieldOf(http.grants.add.mutate({ secretId, granteeType: 'group', granteeId: '1' }))).toBe('granteeId');
  });

  it('rejects a cursor it did not issue', async () => {
    expect(await fieldOf(http.secrets.list.query({ cursor: 'bm9wZQ' }))).toBe('cursor');
    expect(await fieldOf(http.audit.list.query({ cursor: 'abc' }))).toBe('cursor');
  });

  it('rejects a past token expiry', async () => {
    expect(
      await fieldOf(http.tokens.create.mutate({ name: 't', kind: 'user', expiresAt: '2001-01-01T00:00:00Z' })),
    ).toBe('expiresAt');
  });

  it('refuses a huge batch over HTTP with 400 and writes nothing', async () => {
    const calls = Array.from({ length: 51 }, () => 'secrets.create').join(',');
    const body = Object.fromEntries(
      Array.from({ length: 51 }, (_, i) => [i, { name: `batch-${i}`, value: 'v', scope: 'org' }]),
    );
    const res = await fetch(`${server.url}/trpc/${calls}?batch=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.orgA.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect((await admin.secrets.list({ search: 'batch-' })).items).toEqual([]);
  });
});

/** Every mutation of the router, called by an admin with arbitrary JSON, never answers 500. */
describe('fuzz', () => {
  const mutations = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)
    .filter(([, p]) => p._def.type === 'mutation')
    .map(([path]) => path);
  const RUNS = 60;

  const nearValid = () =>
    fc.record(
      {
        id: fc.oneof(fc.constant(secretId), fc.uuid(), fc.string()),
        secretId: fc.oneof(fc.constant(secretId), fc.uuid()),
        name: fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)),
        value: fc.oneof(fc.string({ maxLength: 100 }), fc.string({ maxLength: 50, unit: 'grapheme' })),
        scope: fc.constantFrom('org', 'agent', 'other'),
        namespace: fc.string({ maxLength: 70 }),
        description: fc.string({ maxLength: 100, unit: 'grapheme' }),
        expectedVersion: fc.oneof(fc.integer(), fc.double()),
        toVersion: fc.integer({ min: -5, max: 100 }),
        granteeType: fc.constantFrom('group', 'agent', 'user'),
        granteeId: fc.uuid(),
        email: fc.oneof(fc.emailAddress(), fc.string()),
        role: fc.constantFrom('admin', 'member', 'owner'),
        userId: fc.uuid(),
        kind: fc.constantFrom('user', 'worker', 'root'),
        expiresAt: fc.oneof(
          fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
          fc.string(),
        ),
        reason: fc.string({ maxLength: 600 }),
      },
      { requiredKeys: [] },
    );

  it.each(mutations)('%s', async (path) => {
    // The caller is walked by path name, which its type cannot follow.
    const call = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], admin) as (
      input: unknown,
    ) => Promise<unknown>;
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearValid(), fc.anything()), async (input) => {
        try {
          await call(input);
        } catch (err) {
          expect(err).toBeInstanceOf(TRPCError);
          expect((err as TRPCError).code).not.toBe('INTERNAL_SERVER_ERROR');
        }
      }),
      { numRuns: RUNS, seed: 20261123 },
    );
  });
});
