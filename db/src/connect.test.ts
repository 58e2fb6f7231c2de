import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type Statement, type Storage } from './connect';
import { openTestStorage, type TestStorage, testEngine } from './testing';

const opened: Storage[] = [];
let storage: TestStorage | undefined;
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await storage?.close();
  storage = undefined;
});

const ORG_NAMES: Statement = {
  name: 'test_org_names_v1',
  text: 'select name from orgs where name like $1 order by name',
};

describe('Storage.query', () => {
  it('runs a statement with parameters, over and over', async () => {
    storage = await openTestStorage();
    await storage.db
      .insertInto('orgs')
      .values([{ name: 'query-a' }, { name: 'query-b' }])
      .execute();
    for (let i = 0; i < 3; i++) {
      expect(await storage.query<{ name: string }>(ORG_NAMES, ['query-%'])).toEqual([
        { name: 'query-a' },
        { name: 'query-b' },
      ]);
    }
  });

  // PGlite has no connections to prepare on: it runs through Kysely's driver.
  it.skipIf(testEngine() === 'pglite')(
    'prepares it once per connection by name, unless prepared statements are off',
    async () => {
      storage = await openTestStorage();
      if (!storage.url) throw new Error('a Postgres test storage has a URL');
      const preparedNames = async (s: Storage) =>
        (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(s.db)).rows.map((r) => r.name);
      const named = await openStorage({ engine: 'postgres', url: storage.url, poolSize: 1 });
      const unnamed = await openStorage({
        engine: 'postgres',
        url: storage.url,
        poolSize: 1,
        preparedStatements: false,
      });
      opened.push(named, unnamed);
      await named.query(ORG_NAMES, ['%']);
      await unnamed.query(ORG_NAMES, ['%']);
      expect(await preparedNames(named)).toEqual([ORG_NAMES.name]);
      expect(await preparedNames(unnamed)).toEqual([]);
    },
  );
});
