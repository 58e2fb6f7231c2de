import type { Command } from 'commander';
import { readSecretInput } from '../core/stdin';
import { configPath, saveLogin } from './config';
import { withLogin } from './connect';
import { type OutputOptions, printResult } from './output';

/**
 * `strongroom login --url <server>`: reads a token from standard input (never argv), checks it
 * against the server and keeps both in the user's config file, mode 0600.
 */
export function registerLoginCommand(program: Command): void {
  program
    .command('login')
    .showHelpAfterError(false)
    .description('sign in to a Strongroom server with a token read from standard input')
    .requiredOption('--url <url>', 'the server, e.g. http://127.0.0.1:8080')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample: printf %s "$TOKEN" | strongroom login --url https://strongroom.example.com')
    .action(async (opts: { url: string } & OutputOptions) => {
      const url = opts.url.replace(/\/+$/, '');
      const token = (await readSecretInput('token: ')).trim();
      if (!token) throw new Error('no token on standard input');
      const me = await withLogin({ url, token }, (sr) => sr.me.query());
      const path = configPath();
      await saveLogin({ url, token }, path);
      printResult(
        opts,
        { url, user: me.user, org: me.org, role: me.role, config: path },
        `Logged in to ${url} as ${me.user.email} (${me.role} of org "${me.org.name}"); saved in ${path}`,
      );
    });
}
