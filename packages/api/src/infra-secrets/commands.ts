import type { Command } from 'commander';
import { readStdin } from '../core/stdin';
import { withOperatorDeps } from '../operator';
import { MAX_VALUE_BYTES } from '../secrets/schemas';
import { setInfraSecret } from './service';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** `strongroom infra-secret set <name>`: the value comes from standard input, never from argv. */
export function registerInfraSecretCommands(program: Command): void {
  program
    .command('infra-secret')
    .description('platform-level secrets that belong to no org (e.g. ai-gateway-token)')
    .command('set <name>')
    .description(
      'seal a value read from standard input, e.g. `printf %s "$TOKEN" | strongroom infra-secret set ai-gateway-token`',
    )
    .action(async (name: string) => {
      if (!NAME.test(name)) throw new Error('name must be 1–64 lowercase letters, digits, ".", "_" or "-"');
      if (process.stdin.isTTY)
        throw new Error('pipe the value on standard input; it is never taken from the command line');
      const value = await readStdin();
      if (value === '') throw new Error('standard input was empty');
      if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new Error(`the value is over ${MAX_VALUE_BYTES} bytes`);
      await withOperatorDeps(async (deps) => {
        const { version } = await setInfraSecret(deps, name, value);
        console.log(`infra secret ${name} set (version ${version})`);
      });
    });
}
