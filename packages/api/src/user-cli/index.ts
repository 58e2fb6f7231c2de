import type { Command } from 'commander';
import { registerExportCommand } from './export';
import { registerImportCommand } from './import';
import { registerLoginCommand } from './login';
import { registerRunCommand } from './run';
import { registerSecretCommands } from './secrets';

/**
 * The commands for people: they talk to a server over HTTP through `@strongroom/client`, as the
 * user `strongroom login` saved (or `STRONGROOM_URL` / `STRONGROOM_TOKEN`), and never open the
 * database as the operator commands do.
 */
export function registerUserCommands(program: Command): void {
  registerLoginCommand(program);
  const secrets = program
    .command('secrets')
    .description('manage the org’s secrets (as the logged-in user)')
    // A usage error is one line, as every other error here; `--help` shows the usage.
    .showHelpAfterError(false);
  registerSecretCommands(secrets);
  registerExportCommand(secrets);
  registerImportCommand(secrets);
  registerRunCommand(program);
}
