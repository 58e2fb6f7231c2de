import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect } from 'kysely';
import pg from 'pg';
import { type Engine, openStorage, type Storage } from './connect';
import { migrateToLatest } from './migrate';

/**
 * Test databases on both engines. The engine comes from STRONGROOM_TEST_ENGINE (`pglite`, the
 * default, or `postgres` with TEST_DATABASE_URL). A migrated template is built once per run by
 * `setupTestTemplate` (vitest globalSetup); each test file then gets its own copy: a PGlite loaded
 * from a dump, or a Postgres database created from the template.
 */
export function testEngine(): Engine {
  const engine = process.env.STRONGROOM_TEST_ENGINE ?? 'pglite';
  if (engine !== 'pglite' && engine !== 'postgres') throw new Error(`Unknown STRONGROOM_TEST_ENGINE: ${engine}`);
  return engine;
}

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      'STRONGROOM_TEST_ENGINE=postgres needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)',
    );
  return url;
}

function urlFor(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const TEMPLATE_ENV = 'STRONGROOM_TEST_TEMPLATE';

/** vitest globalSetup: builds the migrated template and returns its teardown. */
export async function setupTestTemplate(): Promise<() => Promise<void>> {
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  if (testEngine() === 'postgres') {
    const name = `sr_tpl_${tag}`;
    await adminQuery(`create database ${name}`);
    const storage = await openStorage({ engine: 'postgres', url: urlFor(name), poolSize: 1 });
    await migrateToLatest(storage.db);
    await storage.close();
    process.env[TEMPLATE_ENV] = name;
    return async () => {
      await adminQuery(`drop database if exists ${name} with (force)`);
    };
  }
  const pglite = await PGlite.create();
  const db = new Kysely<any>({ dialect: new PGliteDialect({ pglite }) });
  await migrateToLatest(db);
  const dump = await pglite.dumpDataDir('none');
  await db.destroy();
  const file = join(tmpdir(), `strongroom-template-${tag}.tar`);
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  process.env[TEMPLATE_ENV] = file;
  return async () => {
    await rm(file, { force: true });
  };
}

export interface TestStorage extends Storage {
  /** A URL other processes can open (Postgres only). */
  readonly url?: string;
}

/**
 * A fresh database for one test file: migrated to latest (from the template) unless
 * `migrated: false`, in which case it is empty.
 */
export async function openTestStorage(options: { migrated?: boolean } = {}): Promise<TestStorage> {
  const migrated = options.migrated ?? true;
  const template = process.env[TEMPLATE_ENV];
  if (testEngine() === 'postgres') {
    const name = `sr_t_${randomBytes(6).toString('hex')}`;
    await adminQuery(
      migrated ? `create database ${name} template ${requireTemplate(template)}` : `create database ${name}`,
    );
    const url = urlFor(name);
    const storage = await openStorage({ engine: 'postgres', url });
    return {
      ...storage,
      url,
      async close() {
        await storage.close();
        await adminQuery(`drop database if exists ${name} with (force)`);
      },
    };
  }
  if (!migrated) return openStorage({ engine: 'pglite' });
  const dump = new Blob([await readFile(requireTemplate(template))]);
  return openStorage({ engine: 'pglite', loadDataDir: dump });
}

function requireTemplate(template: string | undefined): string {
  if (!template) throw new Error(`No test template: add setupTestTemplate (db/src/testing.ts) as vitest globalSetup`);
  return template;
}
