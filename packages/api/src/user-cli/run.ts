import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { withClient } from './connect';
import { reportSkipped } from './output';

/** Signals passed on to the child; the child decides what they mean. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Starts `file` with `env`, forwards signals to it, and resolves with the exit code to end with:
 * the child's own, 128 + the signal's number when a signal ended it (as shells report it), 127 when
 * the program does not exist and 126 when it cannot be run.
 */
function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of FORWARDED) process.on(signal, forward);
    const done = (code: number) => {
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve(code);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      console.error(`strongroom: cannot run ${file}: ${err.code === 'ENOENT' ? 'command not found' : err.message}`);
      done(err.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

/**
 * `strongroom run [--namespace ns] -- <command> [args…]`: the command runs with the namespace's
 * secrets added to its environment. The server audits one `secret.run` row naming the secrets and
 * the program's name (never its path, arguments or values).
 */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .showHelpAfterError(false)
    .description('run a command with a namespace’s secrets in its environment (admin; audited; rate-limited)')
    .option('--namespace <namespace>', 'the namespace', 'default')
    .argument('<command...>', 'the command and its arguments, after --')
    .addHelpText('after', '\nExample: strongroom run --namespace prod -- npm start')
    .action(async (argv: string[], opts: { namespace: string }) => {
      const [file, ...args] = argv as [string, ...string[]];
      const revealed = await withClient((sr) =>
        sr.secrets.runEnv.mutate({ namespace: opts.namespace, command: basename(file) }),
      );
      reportSkipped(revealed.skipped);
      // The CLI's own token is not handed on: the command gets the namespace's secrets, not the admin.
      const { STRONGROOM_TOKEN: _token, ...env } = process.env;
      for (const entry of revealed.entries) env[entry.name] = entry.value;
      process.exit(await runChild(file, args, env));
    });
}
