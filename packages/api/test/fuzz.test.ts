import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { appRouter } from '../src/router';
import { createTestAgent, createTestApp, startTestServer, type TestApp } from './support/harness';

/**
 * Property-based fuzzing of every procedure, on the engine under test: inputs are generated from
 * each procedure's own input schema (valid, near-valid and hostile values per field: NUL, lone
 * surrogates, out-of-range numbers and dates, unknown enum values, wrong types) plus arbitrary
 * JSON, sent as the role the procedure needs. No answer may be INTERNAL_SERVER_ERROR, over the
 * server-side caller (all inputs) and over HTTP (a sample), and the server is healthy after.
 */
const TOTAL = 10_000;
const HTTP_EVERY = 20;
const SEED = 20261201;

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
/** Ids of real rows by the field (or the router, for `id`) that names them, so calls get deep. */
let fixtures: { orgId: string; byKey: Record<string, string[]>; byRouter: Record<string, string[]> };

beforeAll(async () => {
  // Loopback MCP servers are allowed, so validating one is a refused connection on port 9, never a
  // request off this machine.
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1' } });
  server = await startTestServer(app);
  const admin = app.caller(app.orgA.adminToken);
  const secret = await admin.secrets.create({ name: 'fuzz-secret', value: 'fuzz-value', scope: 'org' });
  const agentId = await createTestAgent(app, app.orgA);
  const agent = await admin.agents.get({ id: agentId });
  const mcp = await admin.mcpServers.create({ name: 'fuzz-mcp', url: 'http://127.0.0.1:9/mcp' });
  const group = await admin.groups.create({ name: 'fuzz-group' });
  const token = await admin.tokens.create({ name: 'fuzz-token', kind: 'worker' });
  const secretIds = [
    secret.id,
    ...(agent.provider.id ? [(await admin.providers.get({ id: agent.provider.id })).secretRef!] : []),
  ];
  fixtures = {
    orgId: app.orgA.orgId,
    byKey: {
      secretId: secretIds,
      secretRef: secretIds,
      agentId: [agentId],
      providerId: [agent.provider.id],
      mcpServerId: [mcp.id],
      mcpServerIds: [mcp.id],
      ids: secretIds,
      granteeId: [group.id, agentId],
      chatId: [group.id],
      userId: [app.orgA.memberUserId],
      actorId: [app.orgA.adminUserId],
    },
    byRouter: {
      secrets: secretIds,
      agents: [agentId],
      providers: [agent.provider.id],
      mcpServers: [mcp.id],
      tokens: [token.id],
    },
  };
});
afterAll(async () => {
  await server.close();
  await app.close();
});

const hostileText = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDC00y',
  '\uDBFF\uDFFF',
  '%',
  '_',
  '\\',
  "'; drop table secrets; --",
  '9999999999',
  '-1',
  '',
  '   ',
  'é'.repeat(300),
  'x'.repeat(5000),
);
const anyText = fc.oneof(
  hostileText,
  fc.string({ maxLength: 24 }),
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/),
);
const numbers = fc.oneof(
  fc.integer({ min: -5, max: 300 }),
  fc.constantFrom(0, -1, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308),
  fc.double(),
);
const dates = fc.oneof(
  fc
    .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('+010000-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59-01:00', '2026-13-01T00:00:00Z', '2026-12-01'),
  hostileText,
);

type Def = Record<string, any>;
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Values for one field of an input schema, by the field's schema (and name, for a few). */
function arbitraryFor(schema: z.ZodType, path: string, key = ''): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
      return fc.oneof(
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 4, arbitrary: arbitraryFor(def.innerType, path, key) },
      );
    case 'nullable':
      return fc.oneof(fc.constant(null), arbitraryFor(def.innerType, path, key));
    case 'object': {
      const shape = Object.fromEntries(
        Object.entries(def.shape as Record<string, z.ZodType>).map(([k, v]) => [k, arbitraryFor(v, path, k)]),
      );
      return fc.oneof(
        { weight: 3, arbitrary: fc.record(shape) },
        { weight: 2, arbitrary: fc.record(shape, { requiredKeys: [] }) },
        { weight: 1, arbitrary: fc.record({ ...shape, extra: anyText }) },
      );
    }
    case 'array':
      return fc.oneof(fc.array(arbitraryFor(def.element, path, key), { maxLength: 4 }), anyText);
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map((o) => arbitraryFor(o, path, key)));
    case 'pipe':
      return defOf(def.in).type === 'string' ? stringFor(def.in, path, key) : arbitraryFor(def.in, path, key);
    case 'string':
      return stringFor(schema, path, key);
    case 'number':
      return fc.oneof(numbers, fc.constant('1'));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string>), 'bogus', 1);
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]), 'bogus');
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constant('true'));
    default:
      return fc.anything({ maxDepth: 2 });
  }
}

function stringFor(schema: z.ZodType, path: string, key: string): fc.Arbitrary<unknown> {
  const format = defOf(schema).format as string | undefined;
  if (key === 'orgId')
    return fc.oneof({ weight: 6, arbitrary: fc.constant(fixtures.orgId) }, { weight: 1, arbitrary: anyText });
  if (format === 'uuid')
    return fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          ...(fixtures.byKey[key] ??
            (key === 'id' ? fixtures.byRouter[path.split('.')[0]!] : undefined) ?? [fixtures.orgId]),
        ),
      },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: anyText },
    );
  if (format === 'datetime') return dates;
  // Only loopback and blocked addresses: a fuzzed URL must never send a request off this machine.
  if (key === 'url')
    return fc.oneof(
      fc.constantFrom('http://127.0.0.1:9/mcp', 'http://169.254.169.254/latest', 'http://10.0.0.1/'),
      hostileText.map((t) => `http://127.0.0.1:9/${t}`),
    );
  return fc.oneof({ weight: 4, arbitrary: anyText }, { weight: 1, arbitrary: fc.integer() });
}

interface Target {
  path: string;
  type: 'query' | 'mutation';
  token: string | undefined;
  input: fc.Arbitrary<unknown>;
}

function targets(): Target[] {
  return (
    Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string; inputs: z.ZodType[] } }>,
    )
      .filter(([, p]) => p._def.type !== 'subscription') // its stream is not a request/answer; internal.test.ts covers it
      // Deletions last, so the fixtures the other procedures reach deep with still exist for them.
      .sort(([a], [b]) => Number(DESTRUCTIVE.test(a)) - Number(DESTRUCTIVE.test(b)))
      .map(([path, p]) => {
        const schema = p._def.inputs.at(-1);
        const token = path.startsWith('internal.')
          ? app.orgA.workerToken
          : path === 'health'
            ? undefined
            : app.orgA.adminToken;
        const input = fc.oneof(
          { weight: 8, arbitrary: schema ? arbitraryFor(schema, path) : fc.constant(undefined) },
          { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        );
        return { path, type: p._def.type as Target['type'], token, input };
      })
  );
}

const DESTRUCTIVE = /\.(delete|remove|revoke)$/;
const show = (v: unknown) => JSON.stringify(v)?.slice(0, 200);

describe('fuzz: every procedure, generated inputs', () => {
  it(`${TOTAL} inputs: never INTERNAL_SERVER_ERROR, and the server is healthy after`, async () => {
    const all = targets();
    expect(all.length).toBeGreaterThan(40);
    const perTarget = Math.ceil(TOTAL / all.length);
    const failures: string[] = [];
    let calls = 0;
    let overHttp = 0;
    const started = performance.now();

    for (const [t, target] of all.entries()) {
      const caller = app.caller(target.token);
      const call = target.path.split('.').reduce<any>((node, key) => node[key], caller);
      const inputs = fc.sample(target.input, { numRuns: perTarget, seed: SEED + t });
      for (const [i, input] of inputs.entries()) {
        calls++;
        try {
          await call(input);
        } catch (err) {
          if (!(err instanceof TRPCError) || err.code === 'INTERNAL_SERVER_ERROR')
            failures.push(`${target.path} ${show(input)}: ${String(err)}`);
        }
        if (i % HTTP_EVERY !== 0 || input === undefined) continue;
        overHttp++;
        const encoded = JSON.stringify(input);
        const res = await fetch(
          `${server.url}/trpc/${target.path}${target.type === 'query' ? `?input=${encodeURIComponent(encoded)}` : ''}`,
          {
            method: target.type === 'query' ? 'GET' : 'POST',
            headers: {
              ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
              ...(target.type === 'mutation' ? { 'content-type': 'application/json' } : {}),
            },
            ...(target.type === 'mutation' ? { body: encoded } : {}),
          },
        );
        const body = await res.text();
        if (res.status >= 500) failures.push(`HTTP ${target.path} ${show(input)}: ${res.status} ${body.slice(0, 200)}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.info(
      `fuzz: ${calls} calls (${overHttp} over HTTP) across ${all.length} procedures in ${seconds.toFixed(1)} s`,
    );

    expect(calls).toBeGreaterThanOrEqual(TOTAL);
    expect(failures).toEqual([]);
    expect(app.logs.filter((line) => line.includes('"level":50'))).toEqual([]);

    // Healthy after: ready, a write and a read work, the audit chain is intact.
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const admin = app.caller(app.orgA.adminToken);
    const after = await admin.secrets.create({ name: 'after-fuzz', value: 'still-works', scope: 'org' });
    expect((await admin.secrets.versions({ id: after.id })).map((v) => v.version)).toEqual([1]);
    expect(await admin.audit.verify()).toMatchObject({ ok: true });
  }, 180_000);
});
