import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../core/config';
import { addLocalKek } from '../core/keyring';
import { withOperatorDeps } from '../operator';
import { rotateKek } from './rotate';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

/** `strongroom kek add` and `strongroom kek rotate`. */
export function registerKekCommands(program: Command): void {
  const kek = program.command('kek').description('key-encryption keys: add a local one, rotate every value to another');

  kek
    .command('add')
    .description('add a new local KEK to the KEK file and make it primary for new seals (restart instances after)')
    .action(() => {
      const config = loadConfig(process.env);
      if (config.kms) throw new Error('KMS_KEY_ID is set: create the new key in KMS and rotate to its id or alias');
      console.log(`kek: ${addLocalKek(config.kekFile)}`);
    });

  kek
    .command('rotate')
    .description('re-wrap the data key of every sealed value under another KEK (online, resumable, audited)')
    .requiredOption('--to <keyId>', 'target KEK: a local key id, or a KMS key id, ARN or alias')
    .option('--batch-size <n>', 'rows per transaction', positiveInt, 200)
    .action((opts: { to: string; batchSize: number }) =>
      withOperatorDeps(async (deps) => {
        const bar = new SingleBar({
          format: '{source} [{bar}] {value}/{total} rewrapped, {skipped} changed meanwhile',
          stream: process.stderr,
          noTTYOutput: true,
          notTTYSchedule: 1000,
        });
        let current = '';
        const result = await rotateKek(deps, {
          toKeyId: opts.to,
          batchSize: opts.batchSize,
          onProgress: (p) => {
            if (p.source !== current) {
              if (current) bar.stop();
              current = p.source;
              bar.start(p.total, 0, { source: p.source, skipped: 0 });
            }
            bar.update(p.rewrapped, { skipped: p.skipped });
            console.log(`progress: ${p.source} ${p.rewrapped}/${p.total}`);
          },
        });
        if (current) bar.stop();
        console.log(`rotated to ${result.toKeyId}: ${result.rewrapped} rewrapped, ${result.skipped} changed meanwhile`);
      }),
    );
}
