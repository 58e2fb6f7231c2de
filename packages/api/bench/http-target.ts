/**
 * The benchmark's server process: Strongroom's API and the ceiling (a bare Fastify route doing one
 * primary-key lookup through pg) on one Postgres database. Prints one JSON line with the URLs and
 * the fixtures (per org: tokens, a secret, an agent and a secret it resolves), then serves until
 * killed. Kept apart from the load generator so autocannon's own work is not billed to the
 * servers; `GET /cpu` on the ceiling answers this process's CPU time, to bill it per request.
 *
 * Environment: BENCH_ORGS orgs with fixtures (default 1); BENCH_FIXTURES (the JSON line of another
 * target on the same database) to serve only, as a second instance; BENCH_SEED_ORGS ×
 * BENCH_SEED_SECRETS filler orgs and secrets, and BENCH_SEED_AUDIT filler audit rows, inserted
 * with generate_series within BENCH_SEED_TIMEOUT_S.
 */
import { randomBytes } from 'node:crypto';
import { createLocalKeyring } from '@strongroom/crypto';
import { Writable } from 'node:stream';
import { openStorage } from '@strongroom/db';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { openDeps, prepareDatabase } from '../src/app';
import { loadConfig } from '../src/core/config';
import { createContextInner } from '../src/core/context';
import type { AppDeps } from '../src/app';
import { createLogger } from '../src/core/logger';
import { createOrg } from '../src/orgs/service';
import { createCaller } from '../src/router';
import { buildServer } from '../src/server';

export interface OrgFixture {
  orgId: string;
  token: string;
  secretId: string;
  workerToken: string;
  agentId: string;
  resolvableId: string;
}

export interface TargetInfo {
  apiUrl: string;
  ceilingUrl: string;
  orgs: OrgFixture[];
  /** The local KEK (base64), so a second instance opens what the first sealed. A benchmark key only. */
  kek: string;
  seeded?: { orgs: number; secrets: number; auditRows: number; seconds: number };
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function createFixture(deps: AppDeps, n: number): Promise<OrgFixture> {
  const org = await createOrg(deps, { name: `bench-${n}`, adminEmail: 'bench@strongroom.local' });
  const caller = createCaller(createContextInner({ deps, token: org.adminToken }));
  const secret = await caller.secrets.create({
    name: 'bench',
    value: randomBytes(512).toString('base64'),
    scope: 'org',
  });
  // What the runtime resolves: an agent-scope secret, for an agent on a provider.
  const shared = await caller.secrets.create({
    name: 'tool-key',
    value: randomBytes(48).toString('base64'),
    scope: 'agent',
  });
  const key = await caller.secrets.create({
    name: 'provider-key',
    value: randomBytes(48).toString('base64'),
    scope: 'agent',
  });
  const provider = await caller.providers.create({
    name: 'bench',
    providerType: 'cloudflare-ai-gateway',
    kind: 'openai',
    secretRef: key.id,
    config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'bench' },
  });
  const agent = await caller.agents.create({ name: 'bench', providerId: provider.id, modelId: 'gpt-4o-mini' });
  const worker = await caller.tokens.create({ name: 'bench worker', kind: 'worker' });
  return {
    orgId: org.orgId,
    token: org.adminToken,
    secretId: secret.id,
    workerToken: worker.token,
    agentId: agent.id,
    resolvableId: shared.id,
  };
}

/** Filler orgs, secrets (sealed-looking bytes nobody opens) and audit rows, set-based and time-bounded. */
async function seed(deps: AppDeps) {
  const orgs = env('BENCH_SEED_ORGS', 0);
  const perOrg = env('BENCH_SEED_SECRETS', 100);
  const auditRows = env('BENCH_SEED_AUDIT', 0);
  const started = performance.now();
  await deps.db.connection().execute(async (db) => {
    await sql`set statement_timeout = ${sql.lit(`${env('BENCH_SEED_TIMEOUT_S', 300)}s`)}`.execute(db);
    await sql`insert into orgs (name) select 'filler-' || g from generate_series(1, ${orgs}) g`.execute(db);
    await sql`
      insert into secrets (org_id, name, value, kek_id, scope, version)
      select o.id, 'filler-' || g, decode(md5(o.id::text || g), 'hex'), 'filler', 'org', 1
      from orgs o cross join generate_series(1, ${perOrg}) g where o.name like 'filler-%'`.execute(db);
    if (auditRows > 0) {
      // Spread over the filler orgs' chains, seq 1..n per org (the chains are not valid; reads never verify them).
      await sql`
        insert into audit_log (org_id, seq, actor_type, action, target_type, target_id, prev_hash, hash)
        select o.id, g, 'system', 'secret.access', 'secret', 'filler', repeat('0', 64), repeat('0', 64)
        from (select id from orgs where name like 'filler-%') o
        cross join generate_series(1, ${Math.ceil(auditRows / Math.max(orgs, 1))}) g`.execute(db);
    }
    // A database at rest, as in production: planner statistics and visibility maps written, and
    // the seed's dirty pages flushed now rather than by a checkpoint during the measured rounds.
    await sql`vacuum analyze`.execute(db);
    await sql`checkpoint`.execute(db);
  });
  return { orgs, secrets: orgs * perOrg, auditRows, seconds: (performance.now() - started) / 1000 };
}

const url = process.argv[2]!;
const storage = await openStorage({ engine: 'postgres', url, poolSize: 20 });
const sink = new Writable({ write: (_c, _e, done) => done() });
const config = loadConfig({ DATABASE_URL: url, REVEAL_RATE_LIMIT: '100000000', DB_POOL_SIZE: '20' });
const attached = process.env.BENCH_FIXTURES ? (JSON.parse(process.env.BENCH_FIXTURES) as TargetInfo) : undefined;
const kek = attached ? Buffer.from(attached.kek, 'base64') : randomBytes(32);
const keyring = createLocalKeyring({ keys: { bench: kek }, primaryKeyId: 'bench' });
const deps = await openDeps(config, createLogger(config.logLevel, sink), { storage, keyring });
let orgs: OrgFixture[];
let seeded: TargetInfo['seeded'];
if (attached) {
  orgs = attached.orgs;
} else {
  await prepareDatabase(deps);
  orgs = [];
  for (let n = 0; n < env('BENCH_ORGS', 1); n++) orgs.push(await createFixture(deps, n));
  if (env('BENCH_SEED_ORGS', 0) > 0) seeded = await seed(deps);
}

const api = await buildServer(deps);
const apiUrl = await api.listen({ port: 0, host: '127.0.0.1' });
const ceilingPool = new pg.Pool({ connectionString: url, max: 20 });
const ceiling = Fastify();
ceiling.get<{ Params: { id: string } }>('/secrets/:id', async (req) => {
  const { rows } = await ceilingPool.query('select id, name, version from secrets where id = $1', [req.params.id]);
  return rows[0];
});
ceiling.get('/cpu', async () => process.cpuUsage());
const ceilingUrl = await ceiling.listen({ port: 0, host: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0));
console.log(JSON.stringify({ apiUrl, ceilingUrl, orgs, kek: kek.toString('base64'), seeded } satisfies TargetInfo));
