import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createStrongroomClient, isStrongroomError } from '@strongroom/client';
import { createLocalKeyring } from '@strongroom/crypto';
import { openStorage } from '@strongroom/db';
import { openTestStorage, type TestStorage, testEngine } from '@strongroom/db/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp } from './support/harness';
import { type ServeProcess, spawnServe } from './support/processes';

/** Real `strongroom serve` processes: several on one Postgres, and one stopped under load. */
const kek = randomBytes(32);
let storage: TestStorage | undefined;
let processes: ServeProcess[] = [];

afterEach(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  processes = [];
  await storage?.close();
  storage = undefined;
});

function sharedEnv(extra: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sr-inst-'));
  const kekFile = join(dataDir, 'kek.json');
  writeFileSync(kekFile, JSON.stringify({ primaryKeyId: 'k', keys: { k: kek.toString('base64') } }), { mode: 0o600 });
  return { DATA_DIR: dataDir, KEK_FILE: kekFile, LOG_LEVEL: 'warn', ...extra };
}

const postgresOnly = it.skipIf(testEngine() === 'pglite');

describe('several instances on one Postgres (Postgres only: PGlite is one process by design)', () => {
  postgresOnly('start together on an empty database: migrations run once, one default org, both serve', async () => {
    storage = await openTestStorage({ migrated: false });
    const env = sharedEnv({ DATABASE_URL: storage.url! });
    processes = await Promise.all([spawnServe(env), spawnServe(env), spawnServe(env)]);
    const tokens = processes.map((p) => p.output().match(/^admin token: (\S+)$/m)?.[1]).filter(Boolean);
    expect(tokens).toHaveLength(1);
    const { rows } = await sql<{ name: string; n: number }>`
      select name, count(*)::int as n from kysely_migration group by name`.execute(storage.db);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(await storage.db.selectFrom('orgs').select('name').execute()).toEqual([{ name: 'default' }]);
    for (const p of processes) {
      expect(await createStrongroomClient({ url: p.url, token: tokens[0]! }).me.query()).toMatchObject({
        role: 'admin',
      });
    }
  });

  postgresOnly('hold the reveal rate limit per user across instances', async () => {
    storage = await openTestStorage({ migrated: false });
    const env = sharedEnv({ DATABASE_URL: storage.url!, REVEAL_RATE_LIMIT: '4' });
    processes = [await spawnServe(env)];
    processes.push(await spawnServe(env));
    const token = processes[0]!.output().match(/^admin token: (\S+)$/m)![1]!;
    const [a, b] = processes.map((p) => createStrongroomClient({ url: p.url, token }));
    const { id } = await a!.secrets.create.mutate({ name: 'limited', value: 'v', scope: 'org' });
    for (const client of [a, b, a, b]) await client!.secrets.reveal.mutate({ id });
    const err = await b!.secrets.reveal.mutate({ id }).catch((e: unknown) => e);
    expect(isStrongroomError(err, 'TOO_MANY_REQUESTS')).toBe(true);
    expect(
      isStrongroomError(await a!.secrets.reveal.mutate({ id }).catch((e: unknown) => e), 'TOO_MANY_REQUESTS'),
    ).toBe(true);
  });

  postgresOnly('a token revoked through one instance is refused by the other within moments', async () => {
    storage = await openTestStorage({ migrated: false });
    const env = sharedEnv({ DATABASE_URL: storage.url! });
    processes = [await spawnServe(env)];
    processes.push(await spawnServe(env));
    const adminToken = processes[0]!.output().match(/^admin token: (\S+)$/m)![1]!;
    const a = createStrongroomClient({ url: processes[0]!.url, token: adminToken });
    const b = createStrongroomClient({ url: processes[1]!.url, token: adminToken });
    const extra = await a.tokens.create.mutate({ name: 'short-lived', kind: 'user' });
    const viaB = createStrongroomClient({ url: processes[1]!.url, token: extra.token });
    expect(await viaB.me.query()).toMatchObject({ role: 'admin' }); // now trusted by B's cache
    await a.tokens.revoke.mutate({ id: extra.id });
    const started = Date.now();
    let refused = false;
    while (!refused && Date.now() - started < 2_000) {
      refused = isStrongroomError(await viaB.me.query().catch((e: unknown) => e), 'UNAUTHORIZED');
      if (!refused) await new Promise((r) => setTimeout(r, 20));
    }
    expect(refused).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await b.me.query()).toMatchObject({ role: 'admin' });
  });
});

describe('SIGTERM under load', () => {
  it('finishes requests in flight, refuses new ones, exits 0, and leaves no half-written change', async () => {
    const env: Record<string, string> = sharedEnv();
    if (testEngine() === 'postgres') {
      storage = await openTestStorage({ migrated: false });
      env.DATABASE_URL = storage.url!;
    }
    const server = await spawnServe(env);
    const token = server.output().match(/^admin token: (\S+)$/m)![1]!;
    const client = createStrongroomClient({ url: server.url, token });
    const outcomes: string[] = [];
    let stopping = false;
    const worker = async (w: number) => {
      for (let i = 0; i < 200; i++) {
        try {
          await client.secrets.create.mutate({ name: `w${w}-${i}`, value: 'v', scope: 'org' });
          outcomes.push(stopping ? 'ok-after-sigterm' : 'ok');
        } catch (err) {
          outcomes.push(isStrongroomError(err) && err.data?.httpStatus ? `http-${err.data.httpStatus}` : 'refused');
          if (stopping) return;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));
    await new Promise((r) => setTimeout(r, 800));
    stopping = true;
    const code = await server.stop();
    await load;
    expect(code).toBe(0);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => !['ok', 'ok-after-sigterm', 'refused', 'http-503'].includes(o))).toEqual([]);

    const db = storage ?? (await openStorage({ engine: 'pglite', dataDir: join(env.DATA_DIR!, 'pgdata') }));
    try {
      const app = await createTestApp({
        storage: db,
        keyring: createLocalKeyring({ keys: { k: kek }, primaryKeyId: 'k' }),
      });
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from secrets s where not exists (select 1 from secret_versions v where v.secret_id = s.id)
          or not exists (select 1 from audit_log a where a.target_id = s.id::text and a.action = 'secret.create')`.execute(
        app.deps.db,
      );
      expect(rows[0]!.n).toBe(0);
      const created = await app.deps.db.selectFrom('secrets').select('id').where('name', 'like', 'w%').execute();
      expect(created.length).toBe(outcomes.filter((o) => o.startsWith('ok')).length);
    } finally {
      if (!storage) await db.close();
    }
  }, 60_000);
});
