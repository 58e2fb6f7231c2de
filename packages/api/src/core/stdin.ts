import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * All of standard input, without the one trailing newline a shell or `echo` adds.
 * @example printf %s "$TOKEN" | strongroom infra-secret set ai-gateway-token
 */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * A value typed at a terminal without echoing it (the prompt goes to stderr), or all of standard
 * input when it is a pipe or a file. Values never come from the command line, where `ps` and shell
 * history would keep them.
 * @example const token = await readSecretInput('token: ');
 */
export async function readSecretInput(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return readStdin();
  process.stderr.write(prompt);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('SIGINT', () => reject(new Error('cancelled')));
      rl.once('close', () => reject(new Error('no value was entered')));
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
