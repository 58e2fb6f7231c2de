import type { Database } from '@strongroom/db';
import { CompiledQuery, type Kysely } from 'kysely';
import { AppError } from './errors';

/**
 * Counts `increment` uses (a parameter or literal, 1 by default) of key $1 in a fixed window of $2
 * ms, held in Postgres so that the limit holds across every API instance. Returns the count and
 * the window's start. Hot paths embed it in a larger statement (`with counted as (…)`).
 */
export const countUseSql = (increment = '1') => `
  insert into rate_limits as r (key, window_start, count) values ($1, now(), ${increment})
  on conflict (key) do update set
    count = case when r.window_start <= now() - $2 * interval '1 millisecond' then ${increment} else r.count + ${increment} end,
    window_start = case when r.window_start <= now() - $2 * interval '1 millisecond' then now() else r.window_start end
  returning count, window_start`;

/** A counted use: TOO_MANY_REQUESTS past `limit`, with when to retry. */
export function enforceRateLimit(counted: { count: number; window_start: Date }, limit: number, windowMs: number) {
  if (counted.count <= limit) return;
  const retryAfterSeconds = Math.max(1, Math.ceil((counted.window_start.getTime() + windowMs - Date.now()) / 1000));
  throw new AppError('TOO_MANY_REQUESTS', `Rate limit of ${limit} per ${windowMs / 1000} s reached; retry later`, {
    reason: 'RATE_LIMITED',
    details: { retryAfterSeconds },
  });
}

/**
 * Counts one use of `key` in a fixed window held in Postgres; throws TOO_MANY_REQUESTS past `limit`.
 * @example await consumeRateLimit(db, `reveal:${tokenId}`, 30, 60_000);
 */
export async function consumeRateLimit(
  db: Kysely<Database>,
  key: string,
  limit: number,
  windowMs: number,
): Promise<void> {
  const { rows } = await db.executeQuery<{ count: number; window_start: Date }>(
    CompiledQuery.raw(countUseSql(), [key, windowMs]),
  );
  enforceRateLimit(rows[0]!, limit, windowMs);
}
