import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The `strongroom` program from its source (tsx), so tests need no build; `npm start` runs `dist/cli.js`. */
export const STRONGROOM_COMMAND = [
  '--conditions=@strongroom/source',
  '--import=tsx',
  join(import.meta.dirname, '../../src/cli.ts'),
] as const;

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then the exit code (or the signal's name, if a signal ended it). */
  stop(): Promise<number | string | null>;
}

/**
 * Starts `strongroom serve` with `env` and resolves once it prints its address.
 * @example const a = await spawnServe({ DATABASE_URL, PORT: '0' });
 */
export function spawnServe(env: Record<string, string>): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...STRONGROOM_COMMAND, 'serve'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    });
    let out = '';
    const exited = new Promise<number | string | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
    const onData = (d: Buffer) => {
      out += d.toString();
      const match = out.match(/serving on (http:\/\/\S+)/);
      if (match) {
        child.stdout.off('data', onData);
        child.stdout.on('data', (more) => (out += more));
        resolve({
          child,
          url: match[1]!,
          output: () => out,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d));
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

/** Runs a `strongroom` command to completion, with `input` (if given) on its standard input. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...STRONGROOM_COMMAND, ...args], { env: { ...process.env, ...env } });
    if (input !== undefined) child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
