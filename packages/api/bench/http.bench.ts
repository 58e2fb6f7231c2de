import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';
import type { BenchRow, BenchSection } from '../../../bench/lib';

const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Target {
  apiUrl: string;
  ceilingUrl: string;
  token: string;
  secretId: string;
  orgId: string;
  workerToken: string;
  agentId: string;
  resolvableId: string;
}

/** Starts http-target.ts in its own process and waits for its JSON line. */
async function startTarget(databaseUrl: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./http-target.ts', import.meta.url).pathname, databaseUrl],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`benchmark target exited with ${code}`)));
  });
  return { target: JSON.parse(line) as Target, stop: () => child.kill('SIGTERM') };
}

function row(name: string, r: autocannon.Result, baseline: number): BenchRow {
  const errors = r.errors + r.timeouts + r.non2xx;
  return {
    case: name,
    opsPerSec: r.requests.average,
    p50Us: r.latency.p50 * 1000,
    p99Us: r.latency.p99 * 1000,
    ratio: r.requests.average / baseline,
    note: `${r.requests.total} requests, ${errors} errors`,
  };
}

/**
 * HTTP figures on real Postgres, on 127.0.0.1: `secrets.get` and `secrets.reveal` through the
 * whole stack (auth, roles, zod, audit, decrypt) against the ceiling of a bare Fastify route doing
 * one primary-key lookup through pg. Servers run in a child process; autocannon runs here.
 */
export async function runHttpBench(): Promise<BenchSection> {
  const name = `sr_bench_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const { target, stop } = await startTarget(url.toString());
  try {
    const load = (opts: autocannon.Options) => autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...opts });
    const headers = { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' };
    const base = await load({ url: `${target.ceilingUrl}/secrets/${target.secretId}` });
    const get = await load({
      url: `${target.apiUrl}/trpc/secrets.get?input=${encodeURIComponent(JSON.stringify({ id: target.secretId }))}`,
      headers,
    });
    const reveal = await load({
      url: `${target.apiUrl}/trpc/secrets.reveal`,
      method: 'POST',
      headers,
      body: JSON.stringify({ id: target.secretId }),
    });
    const resolve = await load({
      url: `${target.apiUrl}/trpc/internal.resolveSecret?input=${encodeURIComponent(
        JSON.stringify({ orgId: target.orgId, secretId: target.resolvableId, agentId: target.agentId }),
      )}`,
      headers: { authorization: `Bearer ${target.workerToken}` },
    });
    const ceilingRps = base.requests.average;
    const errors = [base, get, reveal, resolve].reduce((n, r) => n + r.errors + r.timeouts + r.non2xx, 0);
    const resolveRatio = resolve.requests.average / ceilingRps;
    return {
      name: 'HTTP on Postgres',
      baseline: `bare Fastify route with one pg primary-key lookup; ${CONNECTIONS} connections × ${DURATION_S} s each, autocannon, 127.0.0.1`,
      rows: [
        row('ceiling: bare Fastify + pg primary-key lookup', base, ceilingRps),
        row('secrets.get (admin token, metadata)', get, ceilingRps),
        row('secrets.reveal (decrypt + audit row + rate limit)', reveal, ceilingRps),
        row('internal.resolveSecret (worker token, scope check, decrypt, audit row)', resolve, ceilingRps),
      ],
      checks: [
        { target: '0 errors', met: errors === 0, value: String(errors) },
        {
          target: 'internal.resolveSecret ≥ 50 % of the ceiling',
          met: resolveRatio >= 0.5,
          value: `${(resolveRatio * 100).toFixed(0)} %`,
        },
      ],
    };
  } finally {
    stop();
    await admin(`drop database if exists ${name} with (force)`);
  }
}
