import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { migrateToLatest, openStorage } from '@strongroom/db';
import { sql } from 'kysely';
import pg from 'pg';
import { type BenchRow, type BenchSection, median, percentiles } from '../../../bench/lib';
import { openDeps, prepareDatabase } from '../src/app';
import { chainHash, GENESIS_HASH } from '../src/audit/chain';
import { appendAuditRows } from '../src/audit/service';
import { verifyChain } from '../src/audit/verify';
import { systemActor } from '../src/core/actor';
import { loadConfig } from '../src/core/config';
import { createLogger } from '../src/core/logger';
import { createOrg } from '../src/orgs/service';
import { createCaller } from '../src/router';
import { createContextInner } from '../src/core/context';
import { testKeyring } from '../test/support/harness';

const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** 1 = the scale: 10,000 orgs, 2M audit rows, one org with 200,000. */
const SCALE = Number(process.env.BENCH_AUDIT_SCALE ?? 1);
const ORGS = Math.max(2, Math.round(10_000 * SCALE));
const BIG_ORG_ROWS = Math.round(200_000 * SCALE);
const OTHER_ROWS = Math.round(1_800_000 * SCALE);
const LIST_SAMPLES = 40;
const VERIFY_RUNS = 3;

async function admin(text: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const ms = (t0: number) => performance.now() - t0;

/** p50 of `n` sequential runs of `fn`, in µs. */
async function p50(fn: () => Promise<unknown>, n = LIST_SAMPLES) {
  const samples: number[] = [];
  await fn(); // warm
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(ms(t0) * 1000);
  }
  return percentiles(samples);
}

/**
 * Issue 12's audit scale, on real Postgres: 10,000 orgs and 2M audit rows seeded with
 * generate_series (the other orgs' rows are filler, not a valid chain), plus one org whose 200,000
 * rows are a real keyed chain. Measures `audit.list` (through the tRPC caller: auth, roles, zod) at
 * the first, middle and last page, with and without the `(org_id, seq)` index, and `audit.verify`
 * full and incremental. Seeding dominates the run time (about a minute at scale 1).
 */
export async function runAuditScaleBench(): Promise<BenchSection> {
  const name = `sr_bench_audit_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const storage = await openStorage({ engine: 'postgres', url: url.toString(), poolSize: 4 });
  try {
    await migrateToLatest(storage.db);
    const config = loadConfig({ DATABASE_URL: url.toString(), REVEAL_RATE_LIMIT: '100000000' });
    const deps = await openDeps(config, createLogger('silent'), { storage, keyring: testKeyring() });
    await prepareDatabase(deps);
    const big = await createOrg(deps, { name: 'big', adminEmail: 'big@bench.local' });
    const key = deps.auditKeys.current!;

    const seedStart = performance.now();
    await sql`insert into orgs (name) select 'org-' || g from generate_series(1, ${ORGS - 1}) g`.execute(storage.db);
    // Filler rows for every other org (about 180 each), in one statement.
    await sql`
      insert into audit_log (org_id, seq, actor_type, action, target_type, target_id, metadata, created_at, prev_hash, hash, key_id)
      select o.id, s.n, 'system', 'secret.access', 'secret', md5(o.id::text || s.n), '{"version": 1}'::jsonb,
        now() - make_interval(secs => s.n), md5(s.n::text), md5(o.id::text || s.n), ${key.id}
      from (select id from orgs where id <> ${big.orgId}) o
      cross join lateral generate_series(1, ${Math.ceil(OTHER_ROWS / (ORGS - 1))}) s(n)`.execute(storage.db);
    // The big org: a real keyed chain, continuing the row createOrg wrote, inserted 10,000 rows a statement.
    const head = await storage.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('org_id', '=', big.orgId)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    let prev = head.hash ?? GENESIS_HASH;
    const base = Date.now() - BIG_ORG_ROWS * 1000;
    for (let from = head.seq + 1; from <= BIG_ORG_ROWS; from += 10_000) {
      const cols = {
        seq: [] as number[],
        target: [] as string[],
        meta: [] as string[],
        at: [] as string[],
        prev: [] as string[],
        hash: [] as string[],
      };
      for (let seq = from; seq < from + 10_000 && seq <= BIG_ORG_ROWS; seq++) {
        const fields = {
          org_id: big.orgId,
          seq,
          actor_type: 'worker',
          actor_id: null,
          action: 'secret.access',
          target_type: 'secret',
          target_id: `secret-${seq % 100}`,
          request_id: `req-${seq}`,
          metadata: { version: seq % 7 },
          created_at: new Date(base + seq * 1000),
        };
        const hash = chainHash(key, prev, fields);
        cols.seq.push(seq);
        cols.target.push(fields.target_id);
        cols.meta.push(JSON.stringify(fields.metadata));
        cols.at.push(fields.created_at.toISOString());
        cols.prev.push(prev);
        cols.hash.push(hash);
        prev = hash;
      }
      await sql`
        insert into audit_log (org_id, seq, actor_type, action, target_type, target_id, request_id, metadata, created_at, prev_hash, hash, key_id)
        select ${big.orgId}, t.seq, 'worker', 'secret.access', 'secret', t.target, 'req-' || t.seq, t.meta::jsonb, t.at, t.prev, t.hash, ${key.id}
        from unnest(${cols.seq}::int[], ${cols.target}::text[], ${cols.meta}::text[], ${cols.at}::timestamptz[], ${cols.prev}::text[], ${cols.hash}::text[])
          as t(seq, target, meta, at, prev, hash)`.execute(storage.db);
    }
    await sql`analyze audit_log`.execute(storage.db);
    const { rows: counted } = await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(storage.db);
    const seedS = ms(seedStart) / 1000;

    const caller = createCaller(createContextInner({ deps, token: big.adminToken }));
    const pages = {
      first: undefined,
      middle: String(Math.floor(BIG_ORG_ROWS / 2)),
      last: '51',
    } as const;
    const rows: BenchRow[] = [];
    const listP50: Record<string, number> = {};
    const measureList = async (label: string) => {
      for (const [page, cursor] of Object.entries(pages)) {
        const r = await p50(() => caller.audit.list(cursor ? { cursor } : {}), label ? 5 : LIST_SAMPLES);
        listP50[`${page}${label}`] = r.p50Us;
        rows.push({
          case: `audit.list, ${page} page${label}`,
          ...r,
          note: `${BIG_ORG_ROWS.toLocaleString('en-US')}-row org`,
        });
      }
    };
    await measureList('');
    await sql`drop index audit_log_org_seq`.execute(storage.db);
    await measureList(' (without the (org_id, seq) index: before)');
    await sql`create index audit_log_org_seq on audit_log (org_id, seq)`.execute(storage.db);

    // Three full walks: the median and range of wall time, and the CPU this process spent (on a
    // loaded machine the wall time is mostly waiting for a core).
    const walks: { ms: number; cpuMs: number; ok: boolean; checked: number }[] = [];
    for (let i = 0; i < VERIFY_RUNS; i++) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const result = await caller.audit.verify({ mode: 'full' });
      const used = process.cpuUsage(cpu0);
      walks.push({ ms: ms(t0), cpuMs: (used.user + used.system) / 1000, ok: result.ok, checked: result.checked });
    }
    const fullMs = median(walks.map((w) => w.ms));
    const fullOk = walks.every((w) => w.ok);
    const seconds = (xs: number[]) =>
      `${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`;
    rows.push({
      case: `audit.verify, full (median of ${VERIFY_RUNS})`,
      p50Us: fullMs * 1000,
      note: `${walks[0]!.checked.toLocaleString('en-US')} rows, ok: ${fullOk}; wall ${seconds(walks.map((w) => w.ms))}; CPU in this process ${seconds(walks.map((w) => w.cpuMs))}`,
    });
    await storage.db.transaction().execute((trx) =>
      appendAuditRows(
        trx,
        deps.auditKeys,
        big.orgId,
        Array.from({ length: 1000 }, () => ({
          actor: systemActor(big.orgId),
          event: { action: 'secret.access' as const },
        })),
      ),
    );
    let t0 = performance.now();
    const incremental = await caller.audit.verify();
    const incMs = ms(t0);
    rows.push({
      case: 'audit.verify, incremental (1,000 new rows)',
      p50Us: incMs * 1000,
      note: `${incremental.checked} rows from seq ${incremental.fromSeq}, ok: ${incremental.ok}`,
    });
    t0 = performance.now();
    const platform = await verifyChain(deps, null, 'full');
    rows.push({
      case: 'audit verify --platform, full',
      p50Us: ms(t0) * 1000,
      note: `${platform.checked} rows, ok: ${platform.ok}`,
    });

    return {
      name: 'audit-scale',
      baseline: `none: absolute times on Postgres, ${ORGS.toLocaleString('en-US')} orgs, ${counted[0]!.n.toLocaleString('en-US')} audit rows (seeded in ${seedS.toFixed(0)} s); load average ${loadavg()[0]!.toFixed(1)} at the end`,
      rows,
      checks: [
        ...(['first', 'middle', 'last'] as const).map((page) => ({
          target: `audit.list p50 < 10 ms at the ${page} page`,
          met: listP50[page]! < 10_000,
          value: `${(listP50[page]! / 1000).toFixed(2)} ms`,
        })),
        {
          target: `audit.verify of ${BIG_ORG_ROWS.toLocaleString('en-US')} rows < 2 s`,
          met: fullOk && fullMs < 2000,
          value: `${(fullMs / 1000).toFixed(2)} s`,
        },
        {
          target: 'incremental audit.verify of 1,000 new rows under 10 % of the full one',
          met: incremental.ok && incMs < fullMs / 10,
          value: `${incMs.toFixed(0)} ms`,
        },
      ],
    };
  } finally {
    await storage.close();
    await admin(`drop database if exists ${name}`);
  }
}
