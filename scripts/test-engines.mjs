#!/usr/bin/env node
// Runs a package's vitest suite once per database engine: embedded PGlite always, and real
// Postgres when TEST_DATABASE_URL is set. Under CI=true a missing Postgres fails the run instead
// of quietly testing one engine. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';

const engines = ['pglite'];
if (process.env.TEST_DATABASE_URL) engines.push('postgres');
else if (process.env.CI === 'true') {
  console.error('CI=true but TEST_DATABASE_URL is not set: the suite must also run on real Postgres.');
  process.exit(1);
} else {
  console.log('TEST_DATABASE_URL is not set: running on PGlite only (set it to add real Postgres).');
}

for (const engine of engines) {
  console.log(`\n=== ${process.env.npm_package_name ?? ''} on ${engine} ===`);
  const run = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, STRONGROOM_TEST_ENGINE: engine },
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
