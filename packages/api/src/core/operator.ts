import { openDeps, prepareDatabase } from '../app';
import { type Config, loadConfig } from './config';
import type { AppDeps } from './deps';
import { createLogger } from './logger';

/**
 * Runs an operator command with the process's configuration: opens the database (migrating it)
 * and the keyring, runs `fn`, and always closes the database. Logs go to stderr at `warn`, so a
 * command's own output stays clean.
 * @example await withOperatorDeps(async (deps) => console.log(await countSecrets(deps)));
 */
export async function withOperatorDeps<T>(fn: (deps: AppDeps, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const log = createLogger('warn', process.stderr);
  const deps = await openDeps(config, log);
  try {
    await prepareDatabase(deps);
    return await fn(deps, config);
  } finally {
    await deps.storage.close();
  }
}
