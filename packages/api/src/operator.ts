import { type AppDeps, openDeps, prepareDatabase } from './app';
import { loadConfig } from './core/config';
import { createLogger } from './core/logger';

/**
 * Runs an operator command with the process's configuration: opens the database (migrating it,
 * as far as it may) and the keyring, runs `fn` with what migrating did, and always closes the
 * database.
 * @example await withOperatorDeps(async (deps) => console.log(await countSecrets(deps)));
 */
export async function withOperatorDeps<T>(
  fn: (deps: AppDeps, prepared: Awaited<ReturnType<typeof prepareDatabase>>) => Promise<T>,
): Promise<T> {
  const config = loadConfig(process.env);
  // Commands speak for themselves on stdout; only errors are logged (to stderr).
  const log = createLogger('error', process.stderr);
  const deps = await openDeps(config, log);
  try {
    return await fn(deps, await prepareDatabase(deps));
  } finally {
    await deps.storage.close();
  }
}
