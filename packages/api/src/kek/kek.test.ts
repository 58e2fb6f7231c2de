import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKmsKeyring, createLocalKeyring } from '@strongroom/crypto';
import { openStorage } from '@strongroom/db';
import { openTestStorage, type TestStorage, testEngine } from '@strongroom/db/testing';
import { startKmsWireServer } from '@strongroom/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { openDeps } from '../app';
import { createContextInner } from '../core/context';
import { createLogger } from '../core/logger';
import { createCaller } from '../router';
import { createTestApp, type TestApp } from '../../test/support/harness';
import { STRONGROOM_COMMAND } from '../../test/support/processes';
import { rotateKek } from './rotate';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const keyring = (primaryKeyId: 'A' | 'B') => createLocalKeyring({ keys: { A: keyA, B: keyB }, primaryKeyId });

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Secrets in both orgs, each with two versions, all sealed under KEK A. */
async function seed(target: TestApp, perOrg = 5) {
  const ids: { token: string; id: string; value: string }[] = [];
  for (const token of [target.orgA.adminToken, target.orgB.adminToken]) {
    const admin = target.caller(token);
    for (let i = 0; i < perOrg; i++) {
      const { id } = await admin.secrets.create({ name: `s${i}`, value: `old-${i}`, scope: 'org' });
      await admin.secrets.update({ id, value: `value-${i}-${token.slice(-4)}` });
      ids.push({ token, id, value: `value-${i}-${token.slice(-4)}` });
    }
  }
  return ids;
}

async function kekIds(target: TestApp) {
  const current = await target.deps.db.selectFrom('secrets').select('kek_id').execute();
  const history = await target.deps.db.selectFrom('secret_versions').select('kek_id').execute();
  return [...current, ...history].map((r) => r.kek_id);
}

async function audited(target: TestApp) {
  const rows = await target.deps.db
    .selectFrom('audit_log')
    .select('metadata')
    .where('action', '=', 'kek.rewrap')
    .execute();
  return rows.reduce((n, r) => n + Number(r.metadata.count), 0);
}

describe('KEK rotation', () => {
  it('re-wraps every current and historical value, audits the counts, and is a no-op when rerun', async () => {
    app = await createTestApp({ keyring: keyring('A') });
    const secrets = await seed(app);
    expect(new Set(await kekIds(app))).toEqual(new Set(['A']));

    const progress: number[] = [];
    const result = await rotateKek(app.deps, {
      toKeyId: 'B',
      batchSize: 3,
      onProgress: (p) => progress.push(p.rewrapped),
    });
    const total = secrets.length * 3 + 1; // one current value and two versions each, and the audit chain key
    expect(result).toEqual({ toKeyId: 'B', rewrapped: total, skipped: 0 });
    expect(progress.length).toBeGreaterThan(4);
    expect(new Set(await kekIds(app))).toEqual(new Set(['B']));
    expect(await audited(app)).toBe(total);
    expect((await app.caller(app.orgA.adminToken).audit.verify()).ok).toBe(true);

    // Only KEK B is needed from now on.
    const onlyB = await openDeps(app.deps.config, createLogger('silent'), {
      storage: app.storage,
      keyring: createLocalKeyring({ keys: { B: keyB }, primaryKeyId: 'B' }),
    });
    for (const s of secrets) {
      const caller = createCaller(createContextInner({ deps: onlyB, token: s.token }));
      expect((await caller.secrets.reveal({ id: s.id })).value).toBe(s.value);
      expect((await caller.secrets.rollback({ id: s.id, toVersion: 1 })).version).toBe(3);
    }
    expect(await rotateKek(app.deps, { toKeyId: 'B' })).toMatchObject({ rewrapped: 0 });
    await expect(rotateKek(app.deps, { toKeyId: 'C' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('runs online: writes during rotation land, and every value still opens', async () => {
    app = await createTestApp({ keyring: keyring('A') });
    const secrets = await seed(app, 10);
    // Instances restarted with B as primary while old values are still under A.
    const deps = await openDeps(app.deps.config, createLogger('silent'), {
      storage: app.storage,
      keyring: keyring('B'),
    });
    const writes = Promise.all(
      secrets.map((s, i) =>
        createCaller(createContextInner({ deps, token: s.token })).secrets.update({ id: s.id, value: `during-${i}` }),
      ),
    );
    const [result] = await Promise.all([rotateKek(deps, { toKeyId: 'B', batchSize: 4 }), writes]);
    expect(result.rewrapped + result.skipped).toBeGreaterThan(0);
    expect(new Set(await kekIds(app))).toEqual(new Set(['B']));
    for (const [i, s] of secrets.entries()) {
      expect(
        (await createCaller(createContextInner({ deps, token: s.token })).secrets.reveal({ id: s.id })).value,
      ).toBe(`during-${i}`);
    }
  });
});

describe('KEK rotation with KMS keys', () => {
  it('moves every value to another KMS key with ReEncrypt, once per distinct data key', async () => {
    const kms = await startKmsWireServer();
    try {
      const from = kms.createKey('strongroom-2026');
      const to = kms.createKey('strongroom-2027');
      const kmsKeyring = (keyId: string) =>
        createKmsKeyring({
          keyId,
          endpoint: kms.url,
          region: 'us-east-1',
          credentials: { accessKeyId: 't', secretAccessKey: 't' },
        });
      app = await createTestApp({ keyring: kmsKeyring(from) });
      const secrets = await seed(app, 5);
      kms.resetCounts();
      const result = await rotateKek(app.deps, { toKeyId: 'alias/strongroom-2027' });
      expect(result).toMatchObject({ toKeyId: to, rewrapped: secrets.length * 3 + 1 });
      // Seals share one data key per org within the cache's limits: two orgs and the platform's audit key.
      expect(kms.requests('ReEncrypt')).toBe(3);
      expect(new Set(await kekIds(app))).toEqual(new Set([to]));
      kms.setKeyEnabled(from, false);
      const deps = await openDeps(app.deps.config, createLogger('silent'), {
        storage: app.storage,
        keyring: kmsKeyring(to),
      });
      for (const s of secrets) {
        expect(
          (await createCaller(createContextInner({ deps, token: s.token })).secrets.reveal({ id: s.id })).value,
        ).toBe(s.value);
      }
    } finally {
      await kms.close();
    }
  });
});

describe('strongroom kek rotate (a separate process, killed half-way)', () => {
  it('resumes after SIGKILL: every value opens and none is rewritten twice', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sr-kek-'));
    const kekFile = join(dataDir, 'kek.json');
    writeFileSync(
      kekFile,
      JSON.stringify({ primaryKeyId: 'A', keys: { A: keyA.toString('base64'), B: keyB.toString('base64') } }),
      {
        mode: 0o600,
      },
    );
    let storage: TestStorage;
    const env: Record<string, string> = { DATA_DIR: dataDir, KEK_FILE: kekFile, LOG_LEVEL: 'warn' };
    if (testEngine() === 'postgres') {
      storage = await openTestStorage({ migrated: false });
      env.DATABASE_URL = storage.url!;
    } else {
      const pglite = await openStorage({ engine: 'pglite', dataDir: join(dataDir, 'pgdata') });
      storage = { ...pglite };
    }
    app = await createTestApp({ keyring: keyring('A'), storage });
    const secrets = await seed(app, 20);
    const total = secrets.length * 3 + 1; // and the audit chain key
    if (testEngine() === 'pglite') await app.close(); // release the data directory for the CLI

    const run = (killAfterProgress: boolean) =>
      new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [...STRONGROOM_COMMAND, 'kek', 'rotate', '--to', 'B', '--batch-size', '5'],
          {
            env: { ...process.env, ...env },
          },
        );
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (killAfterProgress && /progress: secrets ([1-9]\d*)\//.test(out)) child.kill('SIGKILL');
        });
        child.stderr.on('data', (d) => (out += d));
        child.on('exit', (code, signal) => resolve({ code, signal, out }));
      });

    const first = await run(true);
    expect(first.signal).toBe('SIGKILL');
    const second = await run(false);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/rotated to B: \d+ rewrapped/);

    if (testEngine() === 'pglite') {
      const reopened = await openStorage({ engine: 'pglite', dataDir: join(dataDir, 'pgdata') });
      app = await createTestApp({
        keyring: createLocalKeyring({ keys: { B: keyB }, primaryKeyId: 'B' }),
        storage: reopened,
      });
    } else {
      app = await createTestApp({ keyring: createLocalKeyring({ keys: { B: keyB }, primaryKeyId: 'B' }), storage });
    }
    expect(new Set(await kekIds(app))).toEqual(new Set(['B']));
    expect(await audited(app)).toBe(total);
    for (const s of secrets) {
      expect((await app.caller(s.token).secrets.reveal({ id: s.id })).value).toBe(s.value);
    }
  }, 120_000);
});
