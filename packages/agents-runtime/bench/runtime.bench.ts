import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootstrapIfEmpty,
  buildServer,
  createLogger,
  loadConfig,
  openDeps,
  prepareDatabase,
} from '@strongroom/api/app';
import { seedAgent, spawnServe } from '@strongroom/api/testing';
import { createStrongroomClient, type StrongroomClient } from '@strongroom/client';
import { createKmsKeyring, type Keyring } from '@strongroom/crypto';
import { openStorage } from '@strongroom/db';
import { startKmsWireServer } from '@strongroom/testkit';
import pg from 'pg';
import { type BenchRow, type BenchSection, percentiles } from '../../../bench/lib';
import { createAgentsRuntime } from '../src/index';

const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const UPDATES = 200;

const seed = async (admin: StrongroomClient) => {
  const { orgId, secretId, agentId } = await seedAgent(admin);
  return { orgId, secretId, agentId };
};

/** A server in this process on an in-memory PGlite, with the given keyring (default: local). */
async function inProcessServer(keyring?: Keyring) {
  const storage = await openStorage({ engine: 'pglite' });
  const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'sr-bench-')), LOG_LEVEL: 'silent' });
  const deps = await openDeps(config, createLogger('silent'), { storage, ...(keyring ? { keyring } : {}) });
  await prepareDatabase(deps);
  const org = (await bootstrapIfEmpty(deps))!;
  const app = await buildServer(deps);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const admin = createStrongroomClient({ url, token: org.adminToken });
  /** A second instance on the same database with a cold data-key cache, as another process would be. */
  const coldInstance = async () => {
    const coldDeps = await openDeps(config, createLogger('silent'), { storage, keyring: deps.keyring });
    const cold = await buildServer(coldDeps);
    return { deps: coldDeps, url: await cold.listen({ port: 0, host: '127.0.0.1' }), close: () => cold.close() };
  };
  return { deps, url, org, admin, coldInstance, close: async () => (await app.close(), await storage.close()) };
}

async function cacheHits(): Promise<BenchRow[]> {
  const server = await inProcessServer();
  try {
    const target = await seed(server.admin);
    const runtime = createAgentsRuntime({ url: server.url, workerToken: server.org.workerToken! });
    await runtime.resolveSecret(target);
    const samples: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const start = process.hrtime.bigint();
      await runtime.resolveSecret(target);
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    runtime.close();
    return [
      { case: 'runtime resolveSecret, cache hit (20 000 calls)', ...percentiles(samples), note: 'target p99 < 50 µs' },
    ];
  } finally {
    await server.close();
  }
}

/** Keyring calls the server makes per 1 000 resolutions, with a local KEK and with KMS (wire server). */
async function keyringCalls(): Promise<BenchRow[]> {
  const kms = await startKmsWireServer();
  const rows: BenchRow[] = [];
  try {
    const keyId = kms.createKey('bench');
    const kmsKeyring = createKmsKeyring({
      keyId,
      endpoint: kms.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
    });
    for (const [label, keyring] of [
      ['local KEK', undefined],
      ['AWS KMS keyring (wire server)', kmsKeyring],
    ] as const) {
      const server = await inProcessServer(keyring);
      try {
        const target = await seed(server.admin);
        const cold = await server.coldInstance();
        try {
          const worker = createStrongroomClient({ url: cold.url, token: server.org.workerToken! });
          kms.resetCounts();
          for (let i = 0; i < 1000; i++) await worker.internal.resolveSecret.query(target);
          const calls = cold.deps.envelope.stats().kmsCalls;
          const kmsNote = keyring ? `, ${kms.requests('Decrypt')} KMS Decrypt requests seen by the KMS server` : '';
          rows.push({
            case: `keyring calls per 1 000 resolutions, cold instance, ${label}`,
            note: `${calls} keyring call(s)${kmsNote}`,
          });
        } finally {
          await cold.close();
        }
      } finally {
        await server.close();
      }
    }
  } finally {
    await kms.close();
  }
  return rows;
}

/** Commit-to-event latency across two API processes on one Postgres (update via A, event via B). */
async function invalidation(): Promise<BenchRow[]> {
  const name = `sr_bench_${randomBytes(4).toString('hex')}`;
  const adminDb = async (sql: string) => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await adminDb(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sr-bench-'));
  const kekFile = join(dataDir, 'kek.json');
  writeFileSync(kekFile, JSON.stringify({ primaryKeyId: 'k', keys: { k: randomBytes(32).toString('base64') } }), {
    mode: 0o600,
  });
  const env = { DATABASE_URL: url.toString(), DATA_DIR: dataDir, KEK_FILE: kekFile, LOG_LEVEL: 'warn' };
  const a = await spawnServe(env);
  const b = await spawnServe(env);
  try {
    const admin = createStrongroomClient({ url: a.url, token: a.output().match(/^admin token: (\S+)$/m)![1]! });
    const worker = createStrongroomClient({ url: b.url, token: a.output().match(/^worker token: (\S+)$/m)![1]! });
    const target = await seed(admin);
    const waiting = new Map<number, (t: number) => void>();
    const started = new Promise<void>((resolve) => {
      worker.internal.events.subscribe(
        { orgId: target.orgId },
        { onStarted: () => resolve(), onData: (e) => waiting.get(e.version)?.(performance.now()) },
      );
    });
    await started;
    const sinceStart: number[] = [];
    const sinceAck: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const version = i + 2;
      const arrived = new Promise<number>((resolve) => waiting.set(version, resolve));
      const t0 = performance.now();
      await admin.secrets.update.mutate({ id: target.secretId, value: `v${version}` });
      const acked = performance.now();
      const at = await arrived;
      sinceStart.push((at - t0) * 1000);
      sinceAck.push(Math.max(0, at - acked) * 1000);
    }
    const start = percentiles(sinceStart);
    return [
      {
        case: `invalidation: update via instance A → event at a subscriber of B (${UPDATES} updates)`,
        ...start,
        note: 'from sending the update: an upper bound on commit → event; target p99 < 100 ms',
      },
      {
        case: 'invalidation: after A acknowledged the update',
        ...percentiles(sinceAck),
        note: '0 when the event came first',
      },
    ];
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await adminDb(`drop database if exists ${name} with (force)`);
  }
}

/** The runtime section: cache hits, keyring calls per 1 000 resolutions, invalidation latency. */
export async function runRuntimeBench(): Promise<BenchSection> {
  const rows = [...(await cacheHits()), ...(await keyringCalls()), ...(await invalidation())];
  const hitP99 = rows[0]!.p99Us!;
  const invalidationP99 = rows.find((r) => r.case.startsWith('invalidation: update'))!.p99Us!;
  return {
    name: 'Runtime',
    baseline: 'none (absolute figures); the resolveSecret throughput ratio is in the HTTP section',
    rows,
    checks: [
      { target: 'runtime cache hit p99 < 50 µs', met: hitP99 < 50, value: `${hitP99.toFixed(1)} µs` },
      {
        target: 'invalidation p99 < 100 ms',
        met: invalidationP99 < 100_000,
        value: `${(invalidationP99 / 1000).toFixed(1)} ms`,
      },
    ],
  };
}
