import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDeps } from '../app';
import { createContextInner } from '../core/context';
import type { AppDeps } from '../app';
import { addLocalKek, openKekFileKeyring } from '../core/keyring';
import { createLogger } from '../core/logger';
import { readiness } from '../health/router';
import { createCaller } from '../router';
import { createTestApp, type TestApp } from '../../test/support/harness';
import { rotateKek } from './rotate';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function kekFile(keys: Record<string, Buffer>, primaryKeyId: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sr-kekfile-')), 'kek.json');
  const b64 = Object.fromEntries(Object.entries(keys).map(([id, k]) => [id, k.toString('base64')]));
  writeFileSync(path, JSON.stringify({ primaryKeyId, keys: b64 }), { mode: 0o600 });
  return path;
}

/** An app whose keyring is the local KEK file, as `strongroom serve` has it. */
async function appOnKekFile(path: string) {
  return createTestApp({ env: { KEK_FILE: path, REVEAL_RATE_LIMIT: '100000' }, keyring: openKekFileKeyring(path) });
}

/** Another instance on the same database and KEK file, with keys as they are in the file now. */
const instance = (target: TestApp) => openDeps(target.deps.config, createLogger('silent'), { storage: target.storage });

const reveal = (deps: AppDeps, token: string, id: string) =>
  createCaller(createContextInner({ deps, token })).secrets.reveal({ id });

describe('KEK rotation with two instances sharing a KEK file, without a restart', () => {
  it('kek add, then kek rotate, while both read continuously: zero failed reads', async () => {
    const file = kekFile({ A: randomBytes(32) }, 'A');
    app = await appOnKekFile(file);
    const admin = app.caller(app.orgA.adminToken);
    const secrets: { id: string }[] = [];
    for (let i = 0; i < 6; i++)
      secrets.push(await admin.secrets.create({ name: `s${i}`, value: `value-${i}`, scope: 'org' }));
    const instances = [app.deps, await instance(app)];

    let stop = false;
    const failures: unknown[] = [];
    const reads = [0, 0];
    const readers = instances.map(async (deps, n) => {
      for (let i = 0; !stop; i++) {
        const s = secrets[i % secrets.length]!;
        try {
          expect((await reveal(deps, app!.orgA.adminToken, s.id)).value).toBe(`value-${i % secrets.length}`);
          reads[n]!++;
        } catch (err) {
          failures.push(err);
        }
      }
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const newKek = addLocalKek(file); // `strongroom kek add`
      const operator = await instance(app); // `strongroom kek rotate --to <new>`, a process started after the add
      const before = [...reads];
      const result = await rotateKek(operator, { toKeyId: newKek, batchSize: 2 });
      expect(result.rewrapped).toBeGreaterThan(secrets.length);
      await new Promise((r) => setTimeout(r, 300));
      expect(reads[0]).toBeGreaterThan(before[0]!);
      expect(reads[1]).toBeGreaterThan(before[1]!);
      // The instances now seal under the new primary too.
      const after = await createCaller(
        createContextInner({ deps: instances[1]!, token: app.orgA.adminToken }),
      ).secrets.create({
        name: 'after',
        value: 'v',
        scope: 'org',
      });
      const row = await app.deps.db
        .selectFrom('secrets')
        .select('kek_id')
        .where('id', '=', after.id)
        .executeTakeFirstOrThrow();
      expect(row.kek_id).toBe(newKek);
    } finally {
      stop = true;
      await Promise.all(readers);
    }
    expect(failures).toEqual([]);
    for (const deps of instances) expect(await readiness(deps)).toMatchObject({ ok: true });
  });

  it('a KEK this instance does not hold is KEY_UNAVAILABLE naming it, shown by /readyz, until the file has it', async () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const file = kekFile({ A: a }, 'A');
    app = await appOnKekFile(file);
    const admin = app.caller(app.orgA.adminToken);
    const { id } = await admin.secrets.create({ name: 'moved', value: 'v', scope: 'org' });
    // Another host rotated to B with a KEK file this instance was not given.
    const elsewhere = await openDeps(app.deps.config, createLogger('silent'), {
      storage: app.storage,
      keyring: openKekFileKeyring(kekFile({ A: a, B: b }, 'B')),
    });
    await rotateKek(elsewhere, { toKeyId: 'B' });

    const err = await reveal(app.deps, app.orgA.adminToken, id).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'KEK "B" is not available to this instance yet; retry later',
    });
    expect(String((err as Error).message)).not.toMatch(/integrity/);
    expect(await readiness(app.deps)).toMatchObject({ ok: false, keyring: 'down', missingKek: 'B' });

    writeFileSync(
      file,
      JSON.stringify({ primaryKeyId: 'A', keys: { A: a.toString('base64'), B: b.toString('base64') } }),
    );
    expect((await reveal(app.deps, app.orgA.adminToken, id)).value).toBe('v');
    expect(await readiness(app.deps)).toMatchObject({ ok: true, keyring: 'up' });
  });
});
