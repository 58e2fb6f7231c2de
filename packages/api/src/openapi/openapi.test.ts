import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, startTestServer, type TestApp } from '../../test/support/harness';
import { appRouter } from '../router';

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

type Operation = {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; content?: unknown }[];
  requestBody?: unknown;
  responses: Record<string, { content?: { 'application/json': { schema: { properties?: Record<string, unknown> } } } }>;
};
type Doc = {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

const getJson = async <T>(path: string, token?: string) => {
  const res = await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { res, body: (await res.json()) as T };
};

describe('OpenAPI document at /openapi.json', () => {
  it('is OpenAPI 3.1 describing the tRPC wire at /trpc', async () => {
    const { res, body } = await getJson<Doc>('/openapi.json');
    expect(res.status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(body.servers).toEqual([{ url: '/trpc' }]);
    expect(body.components.schemas.Error).toBeDefined();
  });

  it('lists every procedure but internal.* under its own tRPC path, queries as GET and mutations as POST', async () => {
    const { body } = await getJson<Doc>('/openapi.json');
    const expected = Object.entries(appRouter._def.procedures)
      .filter(([path]) => !path.startsWith('internal.'))
      .map(
        ([path, procedure]) =>
          `${(procedure as { _def: { type: string } })._def.type === 'query' ? 'get' : 'post'} /${path}`,
      )
      .sort();
    const documented = Object.entries(body.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(expected);
    expect(documented).toContain('post /secrets.reveal');
    expect(JSON.stringify(body.paths)).not.toMatch(/internal/);
  });

  it('asks for a bearer token everywhere but health, and takes query input as one JSON parameter', async () => {
    const { body } = await getJson<Doc>('/openapi.json');
    expect(body.paths['/health']!.get!.security).toEqual([]);
    expect(body.paths['/secrets.list']!.get!.security).toEqual([{ Authorization: [] }]);
    expect(body.paths['/secrets.list']!.get!.parameters).toEqual([
      expect.objectContaining({ name: 'input', in: 'query', content: expect.anything() }),
    ]);
    expect(body.paths['/secrets.create']!.post!.requestBody).toBeDefined();
    expect(
      body.paths['/secrets.get']!.get!.responses['200']!.content!['application/json'].schema.properties,
    ).toHaveProperty('result');
  });

  it('gives every operation a summary and states its security, public ones as `[]`', async () => {
    const { body } = await getJson<Doc>('/openapi.json');
    const operations = Object.entries(body.paths).flatMap(([path, item]) =>
      Object.values(item).map((op) => ({ path, op })),
    );
    expect(operations.length).toBeGreaterThan(40);
    for (const { path, op } of operations) {
      expect(op.summary, path).toBe(path.slice(1));
      expect(op.security, path).toEqual(path === '/health' ? [] : [{ Authorization: [] }]);
    }
  });

  it("is clean under Redocly's recommended ruleset: no error, no warning", async () => {
    const { body } = await getJson<Doc>('/openapi.json');
    const file = join(mkdtempSync(join(tmpdir(), 'sr-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(body));
    const cli = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin/cli.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'lint', '--extends', 'recommended', '--format', 'json', file],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    ).catch((err: { stdout: string }) => err); // a lint failure exits non-zero; its report is still on stdout
    const report = JSON.parse(stdout) as {
      totals: Record<string, number>;
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('matches what the server answers: a documented mutation and query, called as documented', async () => {
    const headers = { authorization: `Bearer ${app.orgA.adminToken}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/trpc/secrets.create`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'openapi-probe', value: 'v', scope: 'agent' }),
    });
    expect(created.status).toBe(200);
    const { result } = (await created.json()) as { result: { data: { id: string } } };
    const input = encodeURIComponent(JSON.stringify({ id: result.data.id }));
    const got = await getJson<{ result: { data: { name: string } } }>(
      `/trpc/secrets.get?input=${input}`,
      app.orgA.adminToken,
    );
    expect(got.body.result.data.name).toBe('openapi-probe');
  });
});

describe('API docs at /docs', () => {
  it('serves Swagger UI from this server, with every script and style it loads', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    // helmet's CSP allows scripts from this origin only; the page must need nothing else.
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<\s]/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('swagger-ui-bundle.js'))).toBe(true);
    for (const asset of assets) {
      expect(asset, 'no CDN').not.toMatch(/^(https?:)?\/\//);
      const loaded = await fetch(new URL(asset, `${server.url}/docs`));
      expect(loaded.status, asset).toBe(200);
      expect((await loaded.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
  });

  it('feeds the UI the same document as /openapi.json', async () => {
    const [ui, doc] = await Promise.all([getJson<Doc>('/docs/json'), getJson<Doc>('/openapi.json')]);
    expect(ui.body).toEqual(doc.body);
  });
});
