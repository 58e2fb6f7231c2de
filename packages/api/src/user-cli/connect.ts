import { createStrongroomClient, isStrongroomError, type StrongroomClient } from '@strongroom/client';
import { type Login, resolveLogin } from './config';

/**
 * Why fetch failed, if it did: the first `code` in the chain of causes (ECONNREFUSED, ENOTFOUND,
 * …), else the innermost message ("bad port").
 */
function networkFailure(err: Error): string | undefined {
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e);
  if (!chain.some((e) => e instanceof TypeError && e.message === 'fetch failed')) return undefined;
  const code = chain.map((e) => (e as NodeJS.ErrnoException).code).find((c) => typeof c === 'string');
  return code ?? chain.at(-1)!.message;
}

/**
 * One line that says what went wrong talking to `url`: the server's own message (which never holds
 * a value), or why the server could not be reached. Never a stack trace.
 */
export function describeFailure(err: unknown, url: string): string {
  if (!isStrongroomError(err)) return err instanceof Error ? err.message : String(err);
  const data = err.data;
  if (data?.code === 'UNAUTHORIZED') return `${url} refused the token: run \`strongroom login\` again`;
  if (data?.code) {
    const retry = (data.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    return retry ? `${err.message} (in ${retry} s)` : err.message;
  }
  const network = networkFailure(err);
  return network ? `cannot reach ${url} (${network})` : `${url} did not answer as a Strongroom server: ${err.message}`;
}

/**
 * Runs `fn` with a client of the logged-in server; any failure becomes one plain line.
 * @example await withClient((sr) => sr.me.query());
 */
export async function withClient<T>(fn: (sr: StrongroomClient, login: Login) => Promise<T>): Promise<T> {
  const login = await resolveLogin();
  return withLogin(login, fn);
}

/** As `withClient`, for a login that is not saved yet (`strongroom login` checks it first). */
export async function withLogin<T>(login: Login, fn: (sr: StrongroomClient, login: Login) => Promise<T>): Promise<T> {
  const sr = createStrongroomClient({ url: login.url, token: login.token });
  try {
    return await fn(sr, login);
  } catch (err) {
    throw new Error(describeFailure(err, login.url), { cause: err });
  }
}
