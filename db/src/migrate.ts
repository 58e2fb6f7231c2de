import { inspect } from 'node:util';
import type { Kysely } from 'kysely';
import { type MigrationResult, Migrator, NO_MIGRATIONS } from 'kysely/migration';
import { migrationProvider } from './migrations/index';

export interface MigrateOutcome {
  applied: string[];
  /** A migration that refused to run because data must be moved first (e.g. a backfill). */
  blocked?: { name: string; reason: string };
}

/** How often a step that failed outside any migration is tried again (see migrateToLatest). */
const RACE_RETRIES = 5;

/** Thrown (by name) from a migration whose preconditions are not met yet. */
export const MIGRATION_BLOCKED = 'MigrationBlocked';

function migratorFor(db: Kysely<any>) {
  // Unordered: a migration that a waiting server needs can sit before the blocked legacy purge,
  // and a database already past the purge still gets it.
  return new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
}

function check(results: MigrationResult[] | undefined, error: unknown, applied: string[]) {
  for (const r of results ?? []) if (r.status === 'Success') applied.push(r.migrationName);
  if (!error) return undefined;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
  if (error instanceof Error && error.name === MIGRATION_BLOCKED) return { name: failed, reason: error.message };
  throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : inspect(error)}`, {
    cause: error,
  });
}

/**
 * Runs pending migrations one at a time, each in its own transaction (Kysely's lock makes it safe
 * for several instances starting together). A migration that is blocked stops the run without
 * undoing the ones before it.
 * @example const { applied, blocked } = await migrateToLatest(storage.db);
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrateOutcome> {
  const migrator = migratorFor(db);
  const applied: string[] = [];
  for (let raced = 0; ; ) {
    const { error, results } = await migrator.migrateUp();
    // An error outside every migration is Kysely's own bookkeeping: before taking its lock it checks
    // that its tables exist by reading the whole catalog, which fails when another instance's
    // migration alters a table at that moment ("column … does not exist"). Try that step again.
    if (error && !results?.length && raced++ < RACE_RETRIES) {
      await new Promise((resolve) => setTimeout(resolve, 50 * raced));
      continue;
    }
    const blocked = check(results, error, applied);
    if (blocked) return { applied, blocked };
    if (!results?.length) return { applied };
  }
}

/** Migrates up or down to exactly `name` (or to nothing). Tests use it to start from legacy. */
export async function migrateTo(db: Kysely<any>, name: string | typeof NO_MIGRATIONS): Promise<string[]> {
  const applied: string[] = [];
  const { error, results } = await migratorFor(db).migrateTo(name);
  const blocked = check(results, error, applied);
  if (blocked) throw new Error(`Migration ${blocked.name} is blocked: ${blocked.reason}`);
  return applied;
}

export { NO_MIGRATIONS };
