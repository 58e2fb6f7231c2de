import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStrongroomClient } from '@strongroom/client';
import { openTestStorage, type TestStorage, testEngine } from '@strongroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnServe } from './support/processes';

/** The `strongroom` program as an operator runs it, on the engine under test. */
let storage: TestStorage | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sr-cli-'));
  env = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  if (testEngine() === 'postgres') {
    storage = await openTestStorage({ migrated: false });
    env.DATABASE_URL = storage.url!;
  }
});
afterAll(() => storage?.close());

const run = (args: string[]) => runCli(args, env);

describe('strongroom CLI', () => {
  it('serve: first start prints an admin and a worker token once, then the newcomer flow works', async () => {
    const first = await spawnServe(env);
    try {
      const admin = first.output().match(/^admin token: (\S+)$/m)?.[1];
      const worker = first.output().match(/^worker token: (\S+)$/m)?.[1];
      expect(admin).toMatch(/^sru_/);
      expect(worker).toMatch(/^srw_/);
      const sr = createStrongroomClient({ url: first.url, token: admin! });
      expect(await sr.me.query()).toMatchObject({ org: { name: 'default' }, role: 'admin' });
      const secret = await sr.secrets.create.mutate({ name: 'hello', value: 'world', scope: 'org' });
      expect(await sr.secrets.reveal.mutate({ id: secret.id })).toMatchObject({ value: 'world' });
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

      if (testEngine() === 'pglite') {
        const second = await run(['migrate']);
        expect(second.code).toBe(1);
        expect(second.stderr).toContain(`in use by process ${first.child.pid}`);
        expect(second.stderr).toMatch(/DATABASE_URL/);
      }
    } finally {
      expect(await first.stop(), first.output()).toBe(0);
    }

    const again = await spawnServe(env);
    expect(again.output()).not.toMatch(/admin token:/);
    expect(await again.stop()).toBe(0);
  });

  it('org create and token create print what API.md says', async () => {
    const org = await run(['org', 'create', 'acme', '--admin-email', 'ops@acme.test']);
    expect(org.code).toBe(0);
    const orgId = org.stdout.match(/^org: ([0-9a-f-]{36})$/m)?.[1];
    expect(org.stdout).toMatch(/^admin token: sru_\S+$/m);
    const token = await run(['token', 'create', '--org', orgId!, '--kind', 'worker']);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^token: srw_\S+$/m);
  });

  it('refuses bad arguments with a clear message', async () => {
    const badOrg = await run(['token', 'create', '--org', 'nope', '--kind', 'worker']);
    expect(badOrg.code).not.toBe(0);
    expect(badOrg.stderr).toMatch(/expected a UUID/);
    const badKind = await run(['token', 'create', '--org', crypto.randomUUID(), '--kind', 'user']);
    expect(badKind.stderr).toMatch(/only worker tokens/);
    const missing = await run(['token', 'create', '--org', crypto.randomUUID(), '--kind', 'worker']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
  });
});
