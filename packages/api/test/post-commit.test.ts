import type { Database } from '@strongroom/db';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContextInner } from '../src/core/context';
import { createCaller } from '../src/router';
import { expectTRPCError } from './support/expect-error';
import { createTestAgent, createTestApp, type TestApp } from './support/harness';

/**
 * A write whose commit succeeded must answer success with what it committed. The fault: once a
 * write has its transaction, the database answers nothing outside it (as when the pool loses its
 * connections right after the commit). A service that reads after committing answers 503 here,
 * and a blind retry of that 503 would add another version.
 */
let app: TestApp;
let agentId: string;
beforeAll(async () => {
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1' } });
  agentId = await createTestAgent(app, app.orgA);
});
afterAll(() => app.close());

/** deps.db that only opens transactions; any other query fails as a dropped connection does. */
function onlyInsideTransactions(db: Kysely<Database>): Kysely<Database> {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') return target.transaction.bind(target);
      if (typeof prop === 'string' && /^(selectFrom|insertInto|updateTable|deleteFrom|executeQuery)$/.test(prop))
        return () => {
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        };
      return Reflect.get(target, prop);
    },
  });
}

const faulty = () =>
  createCaller(
    createContextInner({
      deps: { ...app.deps, db: onlyInsideTransactions(app.deps.db) },
      token: app.orgA.adminToken,
    }),
  );

const versionOf = async (id: string) =>
  (await app.deps.db.selectFrom('secrets').select('version').where('id', '=', id).executeTakeFirstOrThrow()).version;

describe('writes answer from inside their transaction', () => {
  it('the fault is real: a read outside a transaction fails', async () => {
    await expectTRPCError(faulty().secrets.list({}), 'SERVICE_UNAVAILABLE');
  });

  it('secrets.create, update and rollback answer the committed version', async () => {
    const created = await faulty().secrets.create({ name: 'post-commit', value: 'v1', scope: 'org' });
    expect(created.version).toBe(1);

    const updated = await faulty().secrets.update({ id: created.id, value: 'v2', expectedVersion: 1 });
    expect(updated).toMatchObject({ id: created.id, version: 2, usedBy: [] });
    expect(await versionOf(created.id)).toBe(2);

    // A retry of the same change, as a client that never saw the answer would send it: refused,
    // naming the version that did commit, and nothing more is written.
    const retry = await expectTRPCError(
      app.caller(app.orgA.adminToken).secrets.update({ id: created.id, value: 'v2', expectedVersion: 1 }),
      'CONFLICT',
    );
    expect(retry.cause).toMatchObject({ reason: 'VERSION_CONFLICT', details: { currentVersion: 2 } });
    expect(await versionOf(created.id)).toBe(2);

    const rolledBack = await faulty().secrets.rollback({ id: created.id, toVersion: 1 });
    expect(rolledBack.version).toBe(3);
    expect((await app.caller(app.orgA.adminToken).secrets.reveal({ id: created.id })).value).toBe('v1');
  });

  it('agents and MCP servers answer what they committed', async () => {
    const admin = app.caller(app.orgA.adminToken);
    const agent = await admin.agents.get({ id: agentId });
    const server = await faulty().mcpServers.create({ name: 'post-commit', url: 'http://127.0.0.1:9/mcp' });
    expect(server.name).toBe('post-commit');
    expect((await faulty().mcpServers.update({ id: server.id, name: 'renamed' })).name).toBe('renamed');
    const created = await faulty().agents.create({
      name: 'post-commit',
      providerId: agent.provider.id,
      modelId: 'gpt-4o-mini',
    });
    expect(created.name).toBe('post-commit');
    expect((await faulty().agents.update({ id: created.id, mcpServerIds: [server.id] })).mcpServerIds).toEqual([
      server.id,
    ]);
  });
});
