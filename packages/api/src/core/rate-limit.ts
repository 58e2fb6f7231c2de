import type { Database } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import { AppError } from './errors';

/**
 * Counts one use of `key` in a fixed window held in Postgres, so the limit holds across every
 * API instance; throws TOO_MANY_REQUESTS past `limit`.
 * @example await consumeRateLimit(db, `reveal:${tokenId}`, 30, 60_000);
 */
export async function consumeRateLimit(
  db: Kysely<Database>,
  key: string,
  limit: number,
  windowMs: number,
): Promise<void> {
  const window = sql`(${windowMs} * interval '1 millisecond')`;
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: sql`now()`, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql`case when rate_limits.window_start <= now() - ${window} then 1 else rate_limits.count + 1 end`,
        window_start: sql`case when rate_limits.window_start <= now() - ${window} then now() else rate_limits.window_start end`,
      }),
    )
    .returning(['count', 'window_start'])
    .executeTakeFirstOrThrow();
  if (row.count > limit) {
    const retryAfterSeconds = Math.max(1, Math.ceil((row.window_start.getTime() + windowMs - Date.now()) / 1000));
    throw new AppError('TOO_MANY_REQUESTS', `Rate limit of ${limit} per ${windowMs / 1000} s reached; retry later`, {
      reason: 'RATE_LIMITED',
      details: { retryAfterSeconds },
    });
  }
}
