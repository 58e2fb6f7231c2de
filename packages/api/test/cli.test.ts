import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStrongroomClient } from '@strongroom/client';
import { openTestStorage, type TestStorage, testEngine } from '@strongroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The `strongroom` program as an operator runs it, on the engine under test. */
const BIN = join(import.meta.dirname, '../bin/strongroom.mjs');
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

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `serve` and resolves once it prints its address. */
function serve(): Promise<{ child: ChildProcess; url: string; stdout: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = out.match(/serving on (http:\/\/\S+)/);
      if (match) resolve({ child, url: match[1]!, stdout: () => out });
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

describe('strongroom CLI', () => {
  it('serve: first start prints an admin and a worker token once, then the newcomer flow works', async () => {
    const first = await serve();
    try {
      const admin = first.stdout().match(/^admin token: (\S+)$/m)?.[1];
      const worker = first.stdout().match(/^worker token: (\S+)$/m)?.[1];
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
      const exited = new Promise((r) => first.child.once('exit', r));
      first.child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }

    const again = await serve();
    expect(again.stdout()).not.toMatch(/admin token:/);
    again.child.kill('SIGTERM');
    await new Promise((r) => again.child.once('exit', r));
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
