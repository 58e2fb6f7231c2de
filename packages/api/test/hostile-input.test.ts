import { createStrongroomClient, isStrongroomError, type StrongroomClient } from '@strongroom/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { HOSTILE_TEXT, INT32_MAX } from '../src/core/schemas';
import { appRouter } from '../src/router';
import { secretValue } from '../src/secrets/schemas';
import { createTestAgent, createTestApp, startTestServer, type TestApp } from './support/harness';

/** Hostile text: NUL (Postgres refuses it in text and jsonb) and lone surrogates (no UTF-8 form). */
const NUL = ['\u0000', 'ok\u0000ok'];
const SURROGATES = ['\uD800', 'ok\uDC00', 'a\uDBFFb'];

interface Leaf {
  procedure: string;
  path: string;
  schema: z.ZodType;
}

/** Every string and number an input schema accepts, found by walking the schema itself. */
function leavesOf(schema: z.ZodType, procedure: string, path: string, out: { text: Leaf[]; numbers: Leaf[] }) {
  const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
  const leaf = { procedure, path, schema };
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
      return leavesOf(def.innerType, procedure, path, out);
    case 'object':
      for (const [key, value] of Object.entries(def.shape as Record<string, z.ZodType>))
        leavesOf(value, procedure, path ? `${path}.${key}` : key, out);
      return;
    case 'array':
      return leavesOf(def.element, procedure, `${path}[]`, out);
    case 'union':
      for (const option of def.options as z.ZodType[]) leavesOf(option, procedure, path, out);
      return;
    case 'pipe':
      // A string refined further (e.g. text → url): the pipe as a whole is the field's schema.
      if (def.in._zod.def.type === 'string') return void out.text.push(leaf);
      leavesOf(def.in, procedure, path, out);
      return leavesOf(def.out, procedure, path, out);
    case 'string':
      return void out.text.push(leaf);
    case 'number':
      return void out.numbers.push(leaf);
    case 'enum':
    case 'literal':
    case 'boolean':
      return;
    default:
      // any, unknown, record, transform...: a new shape must be taught here before it ships.
      throw new Error(`${procedure} ${path}: input schema of type ${def.type} is not checked for hostile text`);
  }
}

function allLeaves() {
  const out = { text: [] as Leaf[], numbers: [] as Leaf[] };
  for (const [procedure, p] of Object.entries(appRouter._def.procedures as Record<string, any>)) {
    for (const input of p._def.inputs as z.ZodType[]) leavesOf(input, procedure, '', out);
  }
  return out;
}

const messages = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? null : result.error.issues.map((i) => i.message);
};

describe('every text field of every procedure refuses hostile text at the input layer', () => {
  const { text, numbers } = allLeaves();

  it('finds the fields (the walk is not vacuous)', () => {
    expect(text.length).toBeGreaterThan(40);
    expect(text.map((l) => `${l.procedure} ${l.path}`)).toEqual(
      expect.arrayContaining(['secrets.reveal reason', 'internal.resolveSecret runId', 'audit.list cursor']),
    );
    expect(numbers.length).toBeGreaterThan(3);
  });

  it('refuses NUL and lone surrogates in every text field with the shared message', () => {
    const wrong: string[] = [];
    for (const { procedure, path, schema } of text) {
      const def = (schema as unknown as { _zod: { def: { format?: string } } })._zod.def;
      // UUIDs and timestamps are formats whose patterns admit neither; they must still refuse.
      const own = def.format === 'uuid' || def.format === 'datetime';
      const opaque = schema === secretValue;
      for (const hostile of [...SURROGATES, ...(opaque ? [] : NUL)]) {
        const got = messages(schema, hostile);
        if (!got || (!own && !opaque && got[0] !== HOSTILE_TEXT))
          wrong.push(`${procedure} ${path} ${JSON.stringify(hostile)}`);
      }
      if (def.format === 'datetime' && messages(schema, '0000-01-01T00:00:00Z') === null)
        wrong.push(`${procedure} ${path} accepts year 0`);
    }
    expect(wrong).toEqual([]);
  });

  it('secret values are opaque: NUL is kept (they are sealed, never text in Postgres), lone surrogates are not', () => {
    expect(secretValue.parse('a\u0000b')).toBe('a\u0000b');
    expect(messages(secretValue, 'a\uD800')).toEqual(['must not contain unpaired UTF-16 surrogates']);
  });

  it('bounds every number by what a Postgres integer holds', () => {
    const wrong = numbers
      .filter(({ schema }) => messages(schema, INT32_MAX + 1) === null || messages(schema, -INT32_MAX - 2) === null)
      .map(({ procedure, path }) => `${procedure} ${path}`);
    expect(wrong).toEqual([]);
  });
});

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let admin: StrongroomClient;
let worker: StrongroomClient;
let secretId: string;
let agentId: string;

beforeAll(async () => {
  app = await createTestApp();
  server = await startTestServer(app);
  admin = createStrongroomClient({ url: server.url, token: app.orgA.adminToken });
  worker = createStrongroomClient({ url: server.url, token: app.orgA.workerToken });
  secretId = (await admin.secrets.create.mutate({ name: 'hostile-target', value: 'v', scope: 'agent' })).id;
  agentId = await createTestAgent(app, app.orgA);
});
afterAll(async () => {
  await server.close();
  await app.close();
});

/** The field a BAD_REQUEST names over HTTP; fails on any other answer. */
async function badField(call: Promise<unknown>): Promise<string | undefined> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isStrongroomError(err, 'BAD_REQUEST')) throw new Error(`expected BAD_REQUEST, got ${String(err)}`);
  return err.data?.field;
}

describe('hostile and out-of-range input over HTTP is BAD_REQUEST naming the field', () => {
  it.each(NUL.concat(SURROGATES).map((s) => [JSON.stringify(s), s]))('text %s', async (_label, bad) => {
    expect(await badField(admin.secrets.reveal.mutate({ id: secretId, reason: bad }))).toBe('reason');
    expect(await badField(admin.secrets.list.query({ search: bad }))).toBe('search');
    expect(await badField(admin.secrets.create.mutate({ name: 'x', value: 'v', scope: 'org', description: bad }))).toBe(
      'description',
    );
    expect(await badField(admin.audit.list.query({ targetId: bad }))).toBe('targetId');
    expect(await badField(admin.members.add.mutate({ email: `a${bad}@b.test`, role: 'member' }))).toBe('email');
    expect(await badField(admin.mcpServers.create.mutate({ name: 'm', url: `https://example.com/${bad}` }))).toBe(
      'url',
    );
    expect(
      await badField(
        worker.internal.resolveSecret.query({ orgId: app.orgA.orgId, secretId, agentId, runId: `run-${bad}` }),
      ),
    ).toBe('runId');
  });

  it('a secrets cursor that decodes to hostile text', async () => {
    const forged = Buffer.from(JSON.stringify(['default', 'a\u0000'])).toString('base64url');
    expect(await badField(admin.secrets.list.query({ cursor: forged }))).toBe('cursor');
  });

  it('numbers, cursors and times out of range', async () => {
    expect(await badField(admin.audit.list.query({ cursor: '9999999999' }))).toBe('cursor');
    expect(await badField(admin.audit.list.query({ since: '0000-01-01T00:00:00Z' }))).toBe('since');
    expect(await badField(admin.audit.list.query({ since: '0001-01-01T00:00:00+01:00' }))).toBe('since');
    expect(await badField(admin.audit.list.query({ limit: 1e9 }))).toBe('limit');
    expect(await badField(admin.secrets.update.mutate({ id: secretId, value: 'w', expectedVersion: 2 ** 31 }))).toBe(
      'expectedVersion',
    );
    expect(await badField(admin.secrets.rollback.mutate({ id: secretId, toVersion: 2 ** 53 }))).toBe('toVersion');
    expect(
      await badField(admin.tokens.create.mutate({ name: 't', kind: 'user', expiresAt: '9999-12-31T23:59:59-01:00' })),
    ).toBe('expiresAt');
    // The edges that are in range still work.
    expect(
      (await admin.audit.list.query({ cursor: String(INT32_MAX), since: '0001-01-01T00:00:00Z' })).items,
    ).not.toEqual([]);
  });

  it('a secret value keeps a NUL and refuses a lone surrogate', async () => {
    const { id } = await admin.secrets.create.mutate({ name: 'nul-value', value: 'a\u0000b', scope: 'org' });
    expect((await admin.secrets.reveal.mutate({ id })).value).toBe('a\u0000b');
    expect(await badField(admin.secrets.update.mutate({ id, value: 'a\uD800' }))).toBe('value');
  });
});

describe('input that is not JSON', () => {
  const CANARY = 'canary-7f3a9c-not-json';

  it.each([
    ['a POST body', 'POST', '/trpc/secrets.create', `{"name":"x","value":"${CANARY}`],
    ['a query input', 'GET', `/trpc/secrets.get?input=${encodeURIComponent(`{"id":"${CANARY}`)}`, undefined],
    [
      'a batch query input',
      'GET',
      `/trpc/me,secrets.list?batch=1&input=${encodeURIComponent(`{"0":${CANARY}`)}`,
      undefined,
    ],
  ])(
    '%s gets a fixed message that quotes nothing, in the answer and in the log',
    async (_label, method, path, body) => {
      const before = app.logs.length;
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${app.orgA.adminToken}`, 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(text).toContain('The input is not valid JSON');
      expect(text).not.toContain(CANARY);
      expect(text).not.toMatch(/Unexpected|position|JSON at/);
      expect(app.logs.slice(before).join('\n')).not.toContain(CANARY);
    },
  );
});
