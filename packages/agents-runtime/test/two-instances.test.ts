import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServeProcess, seedAgent, spawnServe } from '@strongroom/api/testing';
import { createStrongroomClient } from '@strongroom/client';
import { openTestStorage, type TestStorage, testEngine } from '@strongroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentsRuntime } from '../src/index';

/** Two API processes on one Postgres: update through one, the runtime subscribed to the other sees it. */
describe.skipIf(testEngine() === 'pglite')(
  'invalidation across instances (Postgres only: PGlite is one process)',
  () => {
    let storage: TestStorage;
    let a: ServeProcess;
    let b: ServeProcess;

    beforeAll(async () => {
      storage = await openTestStorage({ migrated: false });
      const dataDir = mkdtempSync(join(tmpdir(), 'sr-rt-'));
      const kekFile = join(dataDir, 'kek.json');
      writeFileSync(kekFile, JSON.stringify({ primaryKeyId: 'k', keys: { k: randomBytes(32).toString('base64') } }), {
        mode: 0o600,
      });
      const env = { DATABASE_URL: storage.url!, DATA_DIR: dataDir, KEK_FILE: kekFile, LOG_LEVEL: 'warn' };
      a = await spawnServe(env);
      b = await spawnServe(env);
    });
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await storage?.close();
    });

    it('a runtime on instance B serves the new value after an update through instance A', async () => {
      const admin = createStrongroomClient({ url: a.url, token: a.output().match(/^admin token: (\S+)$/m)![1]! });
      const workerToken = a.output().match(/^worker token: (\S+)$/m)![1]!;
      const { orgId, secretId, agentId } = await seedAgent(admin);
      await admin.secrets.update.mutate({ id: secretId, value: 'v1' });
      const runtime = createAgentsRuntime({ url: b.url, workerToken });
      try {
        const req = { orgId, secretId, agentId };
        expect((await runtime.resolveSecret(req)).value).toBe('v1');
        await admin.secrets.update.mutate({ id: secretId, value: 'v2' });
        const deadline = Date.now() + 3_000;
        let value = 'v1';
        while (value !== 'v2' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 10));
          value = (await runtime.resolveSecret(req)).value;
        }
        expect(value).toBe('v2');
      } finally {
        runtime.close();
      }
    }, 60_000);
  },
);
