import { timingSafeEqual } from 'node:crypto';
import type { Database } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import type { Actor } from '../core/actor';
import { hashToken, looksLikeToken } from './token-format';

/** last_used_at is refreshed at most this often, so requests do not each cost a write. */
const TOUCH_INTERVAL_MS = 60_000;
/** When this process last refreshed each token's last_used_at (bounded: cleared when large). */
const touched = new Map<string, number>();

/**
 * The actor for a bearer token, or null when it is malformed, unknown, revoked, expired, or its
 * user is no longer a member of the org.
 */
export async function authenticate(db: Kysely<Database>, token: string): Promise<Actor | null> {
  if (!looksLikeToken(token)) return null;
  const hash = hashToken(token);
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('orgs as o', 'o.id', 't.org_id')
    .leftJoin('users as u', 'u.id', 't.user_id')
    .leftJoin('org_members as m', (join) => join.onRef('m.org_id', '=', 't.org_id').onRef('m.user_id', '=', 't.user_id'))
    .select(['t.id', 't.kind', 't.token_hash', 't.org_id', 't.user_id', 'o.name as org_name', 'u.email', 'm.role'])
    .where('t.token_hash', '=', hash)
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]))
    .executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash), hash)) return null;

  const now = Date.now();
  if (now - (touched.get(row.id) ?? 0) >= TOUCH_INTERVAL_MS) {
    if (touched.size > 10_000) touched.clear();
    touched.set(row.id, now);
    await db.updateTable('api_tokens').set({ last_used_at: sql`now()` }).where('id', '=', row.id).execute();
  }

  if (row.kind === 'worker') return { kind: 'worker', tokenId: row.id, orgId: row.org_id };
  if (!row.user_id || !row.email || !row.role) return null;
  return {
    kind: 'user',
    tokenId: row.id,
    userId: row.user_id,
    email: row.email,
    orgId: row.org_id,
    orgName: row.org_name,
    role: row.role,
  };
}
