import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** What `strongroom login` keeps: the server and a bearer token, in a file only its owner can read. */
const savedLogin = z.object({ url: z.string(), token: z.string() });
export type Login = z.infer<typeof savedLogin>;

/** `$XDG_CONFIG_HOME/strongroom/config.json`, else `~/.config/strongroom/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'strongroom', 'config.json');
}

/**
 * Writes the login with mode 0600 (its folder 0700), through a temporary file renamed into place,
 * so the token is never readable by others, not even for a moment, and a crash leaves the old file.
 * @example await saveLogin({ url: 'http://127.0.0.1:8080', token });
 */
export async function saveLogin(login: Login, path = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  // The mode given to writeFile passes through the umask, and an existing file keeps its own.
  await chmod(temp, 0o600);
  await rename(temp, path);
}

async function readLogin(path: string): Promise<Partial<Login>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // reported below, as any other file that is not a login
  }
  const parsed = savedLogin.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a Strongroom login; run \`strongroom login\` again`);
  return parsed.data;
}

/**
 * The server and token to use: `STRONGROOM_URL` and `STRONGROOM_TOKEN` override the saved login,
 * each on its own (so CI can set both and a person can point a saved token at another URL).
 */
export async function resolveLogin(env: NodeJS.ProcessEnv = process.env): Promise<Login> {
  const saved = await readLogin(configPath(env));
  const url = env.STRONGROOM_URL || saved.url;
  const token = env.STRONGROOM_TOKEN || saved.token;
  if (!url || !token) {
    throw new Error('not logged in: run `strongroom login --url <server>` or set STRONGROOM_URL and STRONGROOM_TOKEN');
  }
  return { url, token };
}
