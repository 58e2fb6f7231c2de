#!/usr/bin/env node
// Start-up time (spawn → /healthz answers) and resident memory of the compiled server
// (`node packages/api/dist/cli.js serve`, what `npm start` runs) against the TypeScript source
// through tsx (how `npm start` ran before). Runs alternate between the two, `RUNS` each, and the
// median is printed. Needs `npm run build` first and a Postgres in DATABASE_URL (migrated by the
// first start), so that the embedded database's own start-up does not drown the difference.
// Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sr_startup node scripts/measure-startup.mjs [runs]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[2] ?? 7);
const VARIANTS = {
  'compiled (node dist/cli.js)': ['packages/api/dist/cli.js', 'serve'],
  'source through tsx': ['--conditions=@strongroom/source', '--import=tsx', 'packages/api/src/cli.ts', 'serve'],
};
if (!process.env.DATABASE_URL) throw new Error('Set DATABASE_URL to a Postgres database this script may use');

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function once(args) {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const match = /serving on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  while (
    !(await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    ))
  )
    await new Promise((r) => setTimeout(r, 5));
  const ms = performance.now() - started;
  const rss = rssKb(child.pid);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { ms, rss };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, []]));
await once(VARIANTS['compiled (node dist/cli.js)']); // applies pending migrations, warms the disk cache
for (let round = 0; round < RUNS; round++) {
  for (const [name, args] of Object.entries(VARIANTS)) results[name].push(await once(args));
}
console.log(`| server | start-up to /healthz (median of ${RUNS}) | RSS when ready (median) |`);
console.log('| --- | --- | --- |');
for (const [name, runs] of Object.entries(results)) {
  const ms = median(runs.map((r) => r.ms));
  const rss = median(runs.map((r) => r.rss)) / 1024;
  console.log(`| ${name} | ${Math.round(ms)} ms | ${rss.toFixed(0)} MiB |`);
}
console.log(
  `\nnode ${process.version}, load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
