import { createStrongroomClient, isStrongroomError } from '@strongroom/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpAllTables, findCanary, makeCanary } from './support/canary';
import { createTestApp, startTestServer, type TestApp } from './support/harness';

/**
 * A full secret lifecycle over HTTP with canary values: the values may come back from `reveal`
 * and nowhere else — not in any other response, error, audit row, table column or log line.
 */
let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
const first = makeCanary('first');
const second = makeCanary('second');
const seen: unknown[] = [];
const errors: unknown[] = [];

async function expectFailure(call: Promise<unknown>) {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStrongroomError(err)).toBe(true);
  errors.push(err);
}

beforeAll(async () => {
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1' } });
  server = await startTestServer(app);
  const sr = createStrongroomClient({ url: server.url, token: app.orgA.adminToken });
  const keep = <T>(v: T) => (seen.push(v), v);

  const created = keep(
    await sr.secrets.create.mutate({ name: 'canary', value: first, scope: 'org', description: 'd' }),
  );
  keep(await sr.secrets.get.query({ id: created.id }));
  keep(await sr.secrets.list.query({}));
  keep(await sr.secrets.update.mutate({ id: created.id, value: second }));
  keep(await sr.secrets.update.mutate({ id: created.id, name: 'canary-renamed' }));
  expect((await sr.secrets.reveal.mutate({ id: created.id, reason: 'canary test' })).value).toBe(second);
  keep(await sr.secrets.versions.query({ id: created.id }));
  keep(await sr.secrets.rollback.mutate({ id: created.id, toVersion: 1 }));
  expect((await sr.secrets.reveal.mutate({ id: created.id })).value).toBe(first);
  const group = keep(await sr.groups.create.mutate({ name: 'chat' }));
  keep(await sr.grants.add.mutate({ secretId: created.id, granteeType: 'group', granteeId: group.id }));
  keep(await sr.grants.list.query({ secretId: created.id }));
  keep(await sr.audit.list.query({}));
  keep(await app.caller(app.orgA.memberToken).secrets.options({}));

  // Failures that carry the canary in their input.
  await expectFailure(sr.secrets.create.mutate({ name: 'canary-renamed', value: first, scope: 'org' }));
  await expectFailure(sr.secrets.create.mutate({ name: 'bad name!', value: first, scope: 'org' }));
  await expectFailure(sr.secrets.create.mutate({ name: 'x', value: first.repeat(5000), scope: 'org' }));
  await expectFailure(sr.secrets.create.mutate({ name: 'x', value: first, scope: 'bogus' as 'org' }));
  await expectFailure(sr.secrets.update.mutate({ id: created.id, value: second, expectedVersion: 1 }));
  await expectFailure(sr.secrets.update.mutate({ id: crypto.randomUUID(), value: second }));
  await expectFailure(
    createStrongroomClient({ url: server.url, token: app.orgA.memberToken }).secrets.create.mutate({
      name: 'y',
      value: first,
      scope: 'org',
    }),
  );
  const doomed = keep(await sr.secrets.create.mutate({ name: 'doomed', value: first, scope: 'agent' }));
  keep(await sr.secrets.delete.mutate({ id: doomed.id }));

  // The records that reference secrets: providers, MCP servers (validated), agents, runtime config.
  const key = keep(await sr.secrets.create.mutate({ name: 'provider-key', value: second, scope: 'agent' }));
  const config = { accountId: '0123456789abcdef0123456789abcdef', gateway: 'gw' };
  const provider = keep(
    await sr.providers.create.mutate({
      name: 'p',
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: key.id,
      config,
    }),
  );
  keep(await sr.providers.update.mutate({ id: provider.id, name: 'p2' }));
  keep(await sr.providers.list.query());
  const mcp = keep(await sr.mcpServers.create.mutate({ name: 'm', url: 'http://127.0.0.1:9/mcp', secretRef: key.id }));
  keep(await sr.mcpServers.validate.mutate({ id: mcp.id }));
  keep(await sr.mcpServers.validate.mutate({ url: 'http://169.254.169.254/', secretRef: key.id }));
  keep(await sr.mcpServers.list.query());
  const agent = keep(
    await sr.agents.create.mutate({
      name: 'a',
      providerId: provider.id,
      modelId: 'gpt-4o-mini',
      mcpServerIds: [mcp.id],
    }),
  );
  keep(await sr.agents.list.query());
  keep(await sr.secrets.get.query({ id: key.id }));
  const worker = createStrongroomClient({ url: server.url, token: app.orgA.workerToken });
  keep(await worker.internal.agentRuntimeConfig.query({ orgId: app.orgA.orgId, agentId: agent.id }));
  expect(
    (await worker.internal.resolveSecret.query({ orgId: app.orgA.orgId, secretId: key.id, agentId: agent.id })).value,
  ).toBe(second);
  expect(
    (await worker.internal.resolveMcpToken.query({ orgId: app.orgA.orgId, agentId: agent.id, mcpServerId: mcp.id }))
      .value,
  ).toBe(second);
  await expectFailure(
    worker.internal.resolveSecret.query({ orgId: app.orgA.orgId, secretId: created.id, agentId: agent.id }),
  );
  await expectFailure(sr.secrets.delete.mutate({ id: key.id }));
  await expectFailure(
    sr.providers.create.mutate({
      name: 'x',
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: created.id,
      config,
    }),
  );
});
afterAll(async () => {
  await server.close();
  await app.close();
});

describe('canary values', () => {
  for (const [label, canary] of [
    ['first', first],
    ['second', second],
  ] as const) {
    it(`${label}: in no response but reveal`, () => {
      expect(findCanary(JSON.stringify(seen), canary)).toEqual([]);
    });
    it(`${label}: in no error message or error data`, () => {
      const text = errors
        .map((e) => JSON.stringify({ message: (e as Error).message, data: (e as { data?: unknown }).data }))
        .join();
      expect(errors).toHaveLength(10);
      expect(findCanary(text, canary)).toEqual([]);
    });
    it(`${label}: in no column of any table (audit log included)`, async () => {
      expect(findCanary(await dumpAllTables(app.storage), canary)).toEqual([]);
    });
    it(`${label}: in no log line`, () => {
      expect(app.logs.length).toBeGreaterThan(10);
      expect(findCanary(app.logs.join('\n'), canary)).toEqual([]);
    });
  }
});
