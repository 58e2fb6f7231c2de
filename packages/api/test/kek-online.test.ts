import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStrongroomClient } from '@strongroom/client';
import { openTestStorage, type TestStorage, testEngine } from '@strongroom/db/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type ServeProcess, spawnServe } from './support/processes';

/** Issue 10 §7: `kek add` + `kek rotate` under two live `strongroom serve` processes on one Postgres. */
let storage: TestStorage | undefined;
let processes: ServeProcess[] = [];

afterEach(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  processes = [];
  await storage?.close();
  storage = undefined;
});

describe('KEK rotation across instances (Postgres only: PGlite is one process by design)', () => {
  it.skipIf(testEngine() === 'pglite')(
    'two instances read continuously through kek add and kek rotate, without a restart: zero failed reads',
    async () => {
      storage = await openTestStorage({ migrated: false });
      const dataDir = mkdtempSync(join(tmpdir(), 'sr-kek-online-'));
      const kekFile = join(dataDir, 'kek.json');
      writeFileSync(kekFile, JSON.stringify({ primaryKeyId: 'k1', keys: { k1: randomBytes(32).toString('base64') } }), {
        mode: 0o600,
      });
      const env = {
        DATA_DIR: dataDir,
        KEK_FILE: kekFile,
        DATABASE_URL: storage.url!,
        LOG_LEVEL: 'warn',
        REVEAL_RATE_LIMIT: '1000000',
      };
      processes = [await spawnServe(env)];
      processes.push(await spawnServe(env));
      const token = processes[0]!.output().match(/^admin token: (\S+)$/m)![1]!;
      const clients = processes.map((p) => createStrongroomClient({ url: p.url, token }));
      const secrets: { id: string; value: string }[] = [];
      for (let i = 0; i < 8; i++) {
        const value = `v-${i}-${randomBytes(4).toString('hex')}`;
        secrets.push({
          id: (await clients[0]!.secrets.create.mutate({ name: `s${i}`, value, scope: 'org' })).id,
          value,
        });
      }

      let stop = false;
      const reads = [0, 0];
      const failures: string[] = [];
      const readers = clients.map(async (client, n) => {
        for (let i = 0; !stop; i++) {
          const s = secrets[i % secrets.length]!;
          try {
            const got = await client.secrets.reveal.mutate({ id: s.id });
            if (got.value !== s.value) failures.push(`instance ${n}: wrong value`);
            reads[n]!++;
          } catch (err) {
            failures.push(`instance ${n}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      });
      try {
        await new Promise((r) => setTimeout(r, 300));
        const added = await runCli(['kek', 'add'], env);
        expect(added.code, added.stderr).toBe(0);
        const newKek = added.stdout.match(/^kek: (\S+)$/m)![1]!;
        const before = [...reads];
        const rotated = await runCli(['kek', 'rotate', '--to', newKek, '--batch-size', '3'], env);
        expect(rotated.code, rotated.stderr).toBe(0);
        expect(rotated.stdout).toMatch(new RegExp(`rotated to ${newKek}: \\d+ rewrapped`));
        await new Promise((r) => setTimeout(r, 500));
        expect(reads[0]).toBeGreaterThan(before[0]!);
        expect(reads[1]).toBeGreaterThan(before[1]!);
        const { rows } = await sql<{ kek_id: string }>`select distinct kek_id from secrets`.execute(storage.db);
        expect(rows).toEqual([{ kek_id: newKek }]);
      } finally {
        stop = true;
        await Promise.all(readers);
      }
      expect(failures).toEqual([]);
      for (const p of processes) expect((await fetch(`${p.url}/readyz`)).status).toBe(200);
    },
    180_000,
  );
});
