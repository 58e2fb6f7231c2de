import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDotenv } from '../src/secrets/dotenv';
import { findCanary, makeCanary } from './support/canary';
import { createTestApp, startTestServer, type TestApp } from './support/harness';
import { runCli, STRONGROOM_COMMAND } from './support/processes';

/**
 * The `strongroom` commands for people, end to end as a person runs them: the CLI process is
 * spawned against a started server, values go in on standard input, and what it prints, writes
 * and audits is checked.
 */
/** Each spawn starts the whole program under tsx: seconds on a quiet machine, far more on a busy one. */
const SLOW = { timeout: 600_000 };

let app: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  app = await createTestApp({ env: { EXPORT_RATE_LIMIT: '3' } });
  server = await startTestServer(app);
});
afterAll(async () => {
  await server?.close();
  await app?.close();
});

/** A new admin of org A (rate limits count per person, so each test gets its own). */
async function newAdmin() {
  const email = `cli-${crypto.randomUUID().slice(0, 8)}@acme.test`;
  const { userId, token } = await app.caller(app.orgA.adminToken).members.add({ email, role: 'admin' });
  return { userId, token, env: { STRONGROOM_URL: server.url, STRONGROOM_TOKEN: token } };
}

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** No stack trace, one line: what a person sees when a command fails. */
function expectOneLineError(result: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

async function auditRows(action: 'secret.export' | 'secret.run', actorId: string) {
  const { items } = await app.caller(app.orgA.adminToken).audit.list({ action, actorId });
  return items;
}

describe('strongroom login', SLOW, () => {
  it('keeps the token from standard input in a 0600 file, never in argv or output', async () => {
    const { token } = await newAdmin();
    const home = mkdtempSync(join(tmpdir(), 'sr-login-'));
    const args = ['login', '--url', server.url];
    const result = await runCli(args, { XDG_CONFIG_HOME: home }, `${token}\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Logged in to .* as cli-.*@acme\.test \(admin of org "acme"\)/);
    expect(args.join(' ') + result.stdout + result.stderr).not.toContain(token);

    const file = join(home, 'strongroom', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'strongroom')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: server.url, token });

    // The saved login is what later commands use; the environment overrides it.
    const listed = await runCli(['secrets', 'list', '--json'], { XDG_CONFIG_HOME: home });
    expect(listed.code, listed.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(listed.stdout))).toBe(true);
    const overridden = await runCli(['secrets', 'list'], { XDG_CONFIG_HOME: home, STRONGROOM_TOKEN: 'sru_nope' });
    expectOneLineError(overridden, /refused the token: run `strongroom login` again/);
  });

  it('refuses a bad token without saving it, and says when no one is logged in', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sr-login-'));
    const bad = await runCli(['login', '--url', server.url], { XDG_CONFIG_HOME: home }, 'sru_not-a-token\n');
    expectOneLineError(bad, /refused the token/);
    expect(existsSync(join(home, 'strongroom', 'config.json'))).toBe(false);
    expectOneLineError(await runCli(['secrets', 'list'], { XDG_CONFIG_HOME: home }), /not logged in/);
    const closed = await closedPort();
    const down = await runCli(['secrets', 'list'], {
      STRONGROOM_URL: `http://127.0.0.1:${closed}`,
      STRONGROOM_TOKEN: 'x',
    });
    expectOneLineError(down, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`));
  });
});

describe('strongroom secrets', SLOW, () => {
  it('set reads the value from standard input; get, list, reveal, versions, rollback and delete', async () => {
    const { env } = await newAdmin();
    const [first, second] = [makeCanary('first'), makeCanary('second')];
    const cli = (args: string[], input?: string) => runCli(args, env, input);

    const created = await cli(['secrets', 'set', 'STRIPE_KEY', '--namespace', 'cli-crud', '--scope', 'agent'], first);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toBe('created cli-crud/STRIPE_KEY (version 1)\n');
    const updated = await cli(['secrets', 'set', 'STRIPE_KEY', '--namespace', 'cli-crud', '--json'], `${second}\n`);
    expect(JSON.parse(updated.stdout)).toMatchObject({ name: 'STRIPE_KEY', scope: 'agent', version: 2 });

    const list = await cli(['secrets', 'list', '--namespace', 'cli-crud']);
    expect(list.stdout).toMatch(/^NAME\s+NAMESPACE\s+SCOPE\s+VERSION\s+UPDATED\s+USED BY$/m);
    expect(list.stdout).toMatch(/^STRIPE_KEY\s+cli-crud\s+agent\s+2\s/m);
    const get = JSON.parse(
      (await cli(['secrets', 'get', 'STRIPE_KEY', '--namespace', 'cli-crud', '--json'])).stdout,
    ) as {
      id: string;
    };
    expect(get).toMatchObject({ name: 'STRIPE_KEY', namespace: 'cli-crud', version: 2 });
    for (const out of [created, updated, list].map((r) => r.stdout + r.stderr)) {
      expect(findCanary(out, first)).toEqual([]);
      expect(findCanary(out, second)).toEqual([]);
    }

    const reveal = await cli(['secrets', 'reveal', 'STRIPE_KEY', '--namespace', 'cli-crud', '--reason', 'cli test']);
    expect(reveal.stdout).toBe(second);
    const versions = JSON.parse((await cli(['secrets', 'versions', get.id, '--json'])).stdout) as unknown[];
    expect(versions.map((v) => (v as { version: number }).version)).toEqual([2, 1]);
    const rolled = await cli(['secrets', 'rollback', 'STRIPE_KEY', '--namespace', 'cli-crud', '--to', '1']);
    expect(rolled.stdout).toBe('rolled cli-crud/STRIPE_KEY back to version 1: now version 3\n');
    expect((await cli(['secrets', 'reveal', get.id])).stdout).toBe(first);

    expect((await cli(['secrets', 'delete', 'STRIPE_KEY', '--namespace', 'cli-crud'])).code).toBe(0);
    expectOneLineError(
      await cli(['secrets', 'get', 'STRIPE_KEY', '--namespace', 'cli-crud']),
      /no secret "STRIPE_KEY" in namespace "cli-crud"/,
    );
    expectOneLineError(await cli(['secrets', 'set', 'EMPTY'], ''), /no value on standard input/);
    expectOneLineError(await cli(['secrets', 'rollback', get.id, '--to', '0']), /expected a version/);
  });
});

describe('strongroom secrets export', SLOW, () => {
  it('prints a .env file that dotenv reads back to the same values; audited by name, never by value', async () => {
    const admin = await newAdmin();
    const canary = makeCanary('export');
    const values: Record<string, string> = {
      PEM: `-----BEGIN KEY-----\n${canary}\n-----END KEY-----\n`,
      HASH: 'abc#def # not a comment',
      DOLLAR: '$HOME ${PATH} $(whoami) `id`',
      QUOTES: `it's "quoted"`,
      CRLF: 'line1\r\nline2\r',
      SPACES: '  padded  ',
      JSON: '{"a":"b\\n"}',
    };
    const sr = app.caller(admin.token);
    for (const [name, value] of Object.entries(values))
      await sr.secrets.create({ name, value, scope: 'org', namespace: 'cli-export' });
    await sr.secrets.create({ name: 'WIN_PATH', value: 'C:\\dir\\', scope: 'org', namespace: 'cli-export' });
    await sr.secrets.create({
      name: 'VAULT_ONLY',
      value: canary,
      scope: 'org',
      namespace: 'cli-export',
      revealable: false,
    });

    const exported = await runCli(['secrets', 'export', '--namespace', 'cli-export'], admin.env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(parse(exported.stdout)).toEqual(values);
    expect(exported.stderr).toBe(
      'strongroom: left out VAULT_ONLY: it is write-only (only the runtime may use its value)\n' +
        'strongroom: left out WIN_PATH: no quoting makes dotenv read its value back unchanged\n',
    );

    const json = await runCli(['secrets', 'export', '--namespace', 'cli-export', '--json'], admin.env);
    const body = JSON.parse(json.stdout) as { dotenv: string; entries: { name: string; value: string }[] };
    expect(Object.fromEntries(body.entries.map((e) => [e.name, e.value]))).toEqual(values);
    expect(body.dotenv).toBe(exported.stdout);

    const rows = await auditRows('secret.export', admin.userId);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ targetType: 'namespace', targetId: 'cli-export' });
    const named = rows[0]!.metadata as { secrets: { name: string }[]; skipped: { name: string }[] };
    expect(named.secrets.map((s) => s.name)).toEqual(Object.keys(values).sort());
    expect(named.skipped.map((s) => s.name)).toEqual(['VAULT_ONLY', 'WIN_PATH']);
    expect(findCanary(JSON.stringify(rows), canary)).toEqual([]);
  });

  it('has its own rate limit per person, shared with run, and says so in one line', async () => {
    const admin = await newAdmin();
    const sr = app.caller(admin.token);
    await sr.secrets.export({ namespace: 'cli-empty' });
    await sr.secrets.runEnv({ namespace: 'cli-empty', command: 'env' });
    // The reveal limit is another budget: reveals do not use up exports.
    const secret = await sr.secrets.create({ name: 'R', value: 'v', scope: 'org', namespace: 'cli-empty' });
    for (let i = 0; i < 5; i++) await sr.secrets.reveal({ id: secret.id });
    expect((await runCli(['secrets', 'export', '--namespace', 'cli-empty'], admin.env)).code).toBe(0);
    const limited = await runCli(['secrets', 'export', '--namespace', 'cli-empty'], admin.env);
    expectOneLineError(limited, /^strongroom: Rate limit of 3 per 60 s reached; retry later \(in \d+ s\)\n$/);
    expect((await auditRows('secret.export', admin.userId)).length).toBe(2);
  });

  it('is for admins: a member is refused', async () => {
    const member = await runCli(['secrets', 'export'], {
      STRONGROOM_URL: server.url,
      STRONGROOM_TOKEN: app.orgA.memberToken,
    });
    expectOneLineError(member, /admin/i);
  });
});

describe('strongroom run', SLOW, () => {
  const node = process.execPath;

  it('starts the command with the namespace in its environment and passes its exit code through', async () => {
    const admin = await newAdmin();
    const canary = makeCanary('run');
    const sr = app.caller(admin.token);
    await sr.secrets.create({ name: 'API_KEY', value: canary, scope: 'agent', namespace: 'cli-run' });
    await sr.secrets.create({ name: 'MULTI', value: 'a\nb c', scope: 'org', namespace: 'cli-run' });
    await sr.secrets.create({ name: 'HAS_NUL', value: 'a\0b', scope: 'org', namespace: 'cli-run' });
    await sr.secrets.create({ name: 'WO_KEY', value: canary, scope: 'org', namespace: 'cli-run', revealable: false });

    const script =
      'const e = process.env; process.stdout.write(JSON.stringify([e.API_KEY, e.MULTI, e.STRONGROOM_TOKEN ?? null, e.HAS_NUL ?? null, e.WO_KEY ?? null]))';
    const seen = await runCli(['run', '--namespace', 'cli-run', '--', node, '-e', script, 'ARG-MARKER'], admin.env);
    expect(seen.code, seen.stderr).toBe(0);
    expect(JSON.parse(seen.stdout)).toEqual([canary, 'a\nb c', null, null, null]);
    expect(seen.stderr).toBe(
      'strongroom: left out HAS_NUL: its value holds a NUL character, which an environment variable cannot\n' +
        'strongroom: left out WO_KEY: it is write-only (only the runtime may use its value)\n',
    );

    const seven = await runCli(['run', '--namespace', 'cli-run', '--', node, '-e', 'process.exit(7)'], admin.env);
    expect(seven.code).toBe(7);
    const missing = await runCli(['run', '--namespace', 'cli-run', '--', 'no-such-program-xyz'], admin.env);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/cannot run no-such-program-xyz: command not found/);

    const rows = await auditRows('secret.run', admin.userId);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => (r.metadata as { command: string }).command)).toEqual([
      'no-such-program-xyz',
      'node',
      'node',
    ]);
    const meta = rows[2]!.metadata as { namespace: string; secrets: { name: string }[]; skipped: { name: string }[] };
    expect(meta.namespace).toBe('cli-run');
    expect(meta.secrets.map((s) => s.name)).toEqual(['API_KEY', 'MULTI']);
    expect(meta.skipped.map((s) => s.name)).toEqual(['HAS_NUL', 'WO_KEY']);
    const text = JSON.stringify(rows);
    expect(findCanary(text, canary)).toEqual([]);
    expect(text).not.toContain('ARG-MARKER');
    expect(text).not.toContain(node);
  });

  it('forwards SIGTERM to the command and exits with its code, or 128 + the signal', async () => {
    const admin = await newAdmin();
    const dir = mkdtempSync(join(tmpdir(), 'sr-run-'));
    const marker = join(dir, 'got-sigterm');
    const handles = `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const ignores = `console.log('ready'); setInterval(() => {}, 1000);`;

    const runUntilReady = (script: string) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [...STRONGROOM_COMMAND, 'run', '--', node, '-e', script], {
          env: { ...process.env, ...admin.env },
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('ready')) child.kill('SIGTERM');
        });
        child.on('exit', (code) => resolve(code));
        child.on('error', reject);
      });

    expect(await runUntilReady(handles)).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('x');
    expect(await runUntilReady(ignores)).toBe(128 + 15);
  });
});

describe('strongroom secrets import', SLOW, () => {
  it('previews with --dry-run, writes nothing on a conflict, and imports a large file in batches', async () => {
    const admin = await newAdmin();
    const sr = app.caller(admin.token);
    const file = join(mkdtempSync(join(tmpdir(), 'sr-import-')), '.env');
    const values: Record<string, string> = Object.fromEntries(
      Array.from({ length: 250 }, (_, i) => [`KEY_${i}`, `value ${i} # $HOME 'q'\nline two`]),
    );
    const write = () => writeFileSync(file, toDotenv(Object.entries(values).map(([name, value]) => ({ name, value }))));
    write();
    const args = ['secrets', 'import', '--file', file, '--namespace', 'cli-import', '--scope', 'agent'];
    const stored = async () => {
      const { entries } = await sr.secrets.export({ namespace: 'cli-import' });
      return Object.fromEntries(entries.map((e) => [e.name, e.value]));
    };

    const preview = await runCli([...args, '--dry-run', '--json'], admin.env);
    expect(preview.code, preview.stderr).toBe(0);
    const previewed = JSON.parse(preview.stdout) as { applied: boolean; results: { status: string }[] };
    expect(previewed.applied).toBe(false);
    expect(previewed.results.filter((r) => r.status === 'created')).toHaveLength(250);
    expect((await sr.secrets.list({ namespace: 'cli-import' })).items).toEqual([]);

    const imported = await runCli(args, admin.env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toMatch(/importing \[.*\] 250\/250 secrets/);
    expect(imported.stdout).toMatch(/^KEY_0\s+created$/m);
    expect(imported.stdout).toMatch(/^250 created$/m);
    expect(await stored()).toEqual(values);

    const old = values.KEY_7!;
    values.KEY_7 = 'changed';
    values.KEY_NEW = 'new';
    write();
    const refused = await runCli(args, admin.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^strongroom: 1 name\(s\) exist with another value; nothing was written/m);
    expect(refused.stdout).toMatch(/^KEY_7\s+conflict$/m);
    const { KEY_NEW: _new, ...before } = values;
    expect(await stored()).toEqual({ ...before, KEY_7: old });

    const updated = await runCli([...args, '--on-conflict', 'update'], admin.env);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(/^249 unchanged, 1 updated, 1 created$/m);
    expect(await stored()).toEqual(values);
  });
});
