import { type Command, InvalidArgumentError } from 'commander';
import { withOperatorDeps } from '../operator';
import { verifyChain } from './verify';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `strongroom audit verify --platform | --org <id> [--full]`: the operator's view of a chain.
 * Exits 1 when the chain is broken, so a cron job can alert on it.
 */
export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .description('the audit trail')
    .command('verify')
    .description('verify a keyed audit chain from its last checkpoint (or from the first row with --full)')
    .option('--platform', 'the platform chain (rows of no org: infra secrets, KEK rotation of platform values)')
    .option('--org <id>', 'an org chain', (v) => {
      if (!UUID.test(v)) throw new InvalidArgumentError('expected a UUID');
      return v;
    })
    .option('--full', 'walk the whole chain instead of starting at the last verified checkpoint')
    .action((opts: { platform?: boolean; org?: string; full?: boolean }) => {
      if (Boolean(opts.platform) === Boolean(opts.org)) throw new Error('name one chain: --platform or --org <id>');
      return withOperatorDeps(async (deps) => {
        const result = await verifyChain(deps, opts.org ?? null, opts.full ? 'full' : 'incremental');
        const chain = opts.org ? `org ${opts.org}` : 'platform';
        if (result.ok) {
          console.log(
            `audit chain ${chain}: ok, ${result.checked} row(s) checked after seq ${result.fromSeq} (${result.mode})`,
          );
          return;
        }
        console.log(
          `audit chain ${chain}: BROKEN after ${result.checked} good row(s): ${result.problem}` +
            (result.firstBrokenId ? ` (row ${result.firstBrokenId})` : ''),
        );
        process.exitCode = 1;
      });
    });
}
