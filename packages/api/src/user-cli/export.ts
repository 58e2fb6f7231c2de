import type { Command } from 'commander';
import { withClient } from './connect';
import { type OutputOptions, printJson, reportSkipped } from './output';

/** `strongroom secrets export`: a namespace as a `.env` file on standard output. */
export function registerExportCommand(secrets: Command): void {
  secrets
    .command('export')
    .description('print a namespace as a .env file (admin; audited as one secret.export row; rate-limited)')
    .option('--namespace <namespace>', 'the namespace', 'default')
    .option('--json', 'print JSON: entries (with values) and the .env text')
    .addHelpText('after', '\nExample: strongroom secrets export --namespace prod > .env')
    .action((opts: { namespace: string } & OutputOptions) =>
      withClient(async (sr) => {
        const exported = await sr.secrets.export.mutate({ namespace: opts.namespace });
        reportSkipped(exported.skipped);
        if (opts.json) printJson(exported);
        else process.stdout.write(exported.dotenv);
      }),
    );
}
