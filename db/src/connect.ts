import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock';
import type { Database } from './schema';

export type Engine = 'pglite' | 'postgres';

/** What a NOTIFY subscriber is told. */
export interface ListenHandlers {
  onMessage(payload: string): void;
  /** Called after the dedicated connection came back: messages may have been missed. */
  onReconnect?(): void;
}

/**
 * A hot-path statement run by name. The name must be unique to its text: on Postgres it is a
 * named prepared statement, parsed and planned once per connection instead of on every call.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** An open database: the Kysely handle plus what Kysely does not cover. */
export interface Storage {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** LISTEN on a channel: a dedicated connection on Postgres, in-process on PGlite. */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
  /**
   * Runs one statement outside any transaction (Kysely compiles to unnamed statements, which
   * Postgres plans on every call). Named unless `preparedStatements` is false.
   * @example const rows = await storage.query<{ id: string }>(SECRET_BY_ID, [id]);
   */
  query<R>(statement: Statement, values: readonly unknown[]): Promise<R[]>;
  /** One round trip; rejects when the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type StorageOptions =
  | {
      engine: 'postgres';
      url: string;
      poolSize?: number;
      /**
       * Named prepared statements for `query` (default true). Turn off behind a pooler that
       * cannot carry them: PgBouncer in transaction or statement mode before 1.21, or with
       * `max_prepared_statements = 0`, hands a connection that never prepared the name.
       */
      preparedStatements?: boolean;
    }
  | {
      engine: 'pglite';
      /** Directory to persist into; omitted = in memory. */
      dataDir?: string;
      /** A dump from `dumpDataDir`, to start from (tests use a migrated template). */
      loadDataDir?: Blob;
    };

const INT8_OID = 20;

/**
 * Opens Postgres through `pg`, or PGlite (embedded, one process per directory).
 * @example const storage = await openStorage({ engine: 'pglite', dataDir: './data/pgdata' });
 */
export async function openStorage(options: StorageOptions): Promise<Storage> {
  return options.engine === 'postgres'
    ? openPostgres(options.url, options.poolSize, options.preparedStatements ?? true)
    : openPglite(options);
}

function openPostgres(url: string, poolSize = 10, preparedStatements = true): Storage {
  // int8 (count, bigint) as numbers, like PGlite; we never store values beyond 2^53.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
      oid === INT8_OID ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as (value: string) => unknown),
  };
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  // A client losing its connection (Postgres restarted, backend terminated) must not crash the
  // process: idle ones report through the pool, checked-out ones (mid-transaction) through their
  // own 'error' event. The query that needed the connection fails and is answered as unavailable.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<() => Promise<void>>();

  return {
    db,
    engine: 'postgres',
    async query<R>(statement: Statement, values: readonly unknown[]) {
      const { rows } = await pool.query({
        ...(preparedStatements ? { name: statement.name } : {}),
        text: statement.text,
        values: values as unknown[],
      });
      return rows as R[];
    },
    async listen(channel, handlers) {
      const stop = await listenWithReconnect(url, channel, handlers);
      listeners.add(stop);
      return async () => {
        listeners.delete(stop);
        await stop();
      };
    },
    async ping() {
      const client = await pool.connect();
      try {
        await client.query('select 1');
      } finally {
        client.release();
      }
    },
    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
      await db.destroy();
    },
  };
}

/** A dedicated LISTEN connection that reconnects with backoff when Postgres goes away. */
async function listenWithReconnect(url: string, channel: string, handlers: ListenHandlers) {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = 100;

  const connect = async (isReconnect: boolean): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) handlers.onMessage(msg.payload);
    });
    next.on('error', () => scheduleReconnect());
    next.on('end', () => scheduleReconnect());
    await next.connect();
    await next.query(`listen ${pg.escapeIdentifier(channel)}`);
    client = next;
    delay = 100;
    if (isReconnect) handlers.onReconnect?.();
  };
  const scheduleReconnect = () => {
    if (stopped || retry) return;
    client?.removeAllListeners('end');
    client = undefined;
    retry = setTimeout(() => {
      retry = undefined;
      connect(true).catch(() => {
        delay = Math.min(delay * 2, 5_000);
        scheduleReconnect();
      });
    }, delay);
  };

  await connect(false);
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

async function openPglite(options: Extract<StorageOptions, { engine: 'pglite' }>): Promise<Storage> {
  let release: (() => void) | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    release = lockDataDir(options.dataDir);
  }
  try {
    const pglite = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      parsers: { [INT8_OID]: (v: string) => Number(v) },
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    return {
      db,
      engine: 'pglite',
      // Through Kysely's driver, which gives the one connection to one user at a time: a query
      // straight on `pglite` could land inside another caller's open transaction.
      async query<R>(statement: Statement, values: readonly unknown[]) {
        return (await db.executeQuery<R>(CompiledQuery.raw(statement.text, [...values]))).rows;
      },
      async listen(channel, handlers) {
        return pglite.listen(channel, (payload) => handlers.onMessage(payload));
      },
      async ping() {
        await pglite.query('select 1');
      },
      async close() {
        await db.destroy();
        release?.();
      },
    };
  } catch (err) {
    release?.();
    throw err;
  }
}
