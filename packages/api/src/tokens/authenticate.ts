import { timingSafeEqual } from 'node:crypto';
import type { Database } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import type { Actor } from '../core/actor';
import type { AuthEvent, EventHub } from '../core/event-hub';
import { type AuthThrottle, createAuthThrottle } from './auth-throttle';
import { hashToken, looksLikeToken } from './token-format';

/** last_used_at is refreshed at most this often per token, so requests do not each cost a write. */
const TOUCH_INTERVAL_MS = 60_000;
/** How long a verified token is trusted without a lookup; change events end it sooner. */
const TRUST_MS = 10_000;
const MAX_ENTRIES = 10_000;

interface Trusted {
  actor: Actor;
  until: number;
  expiresAt: number | null;
  touchedAt: number;
}

/** The actor for a token row, or null when its user is no longer a member. */
async function lookup(db: Kysely<Database>, hash: Buffer) {
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('orgs as o', 'o.id', 't.org_id')
    .leftJoin('users as u', 'u.id', 't.user_id')
    .leftJoin('org_members as m', (join) =>
      join.onRef('m.org_id', '=', 't.org_id').onRef('m.user_id', '=', 't.user_id'),
    )
    .select([
      't.id',
      't.kind',
      't.token_hash',
      't.org_id',
      't.user_id',
      't.expires_at',
      'o.name as org_name',
      'u.email',
      'm.role',
    ])
    .where('t.token_hash', '=', hash)
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]))
    .executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash), hash)) return null;
  const actor: Actor | null =
    row.kind === 'worker'
      ? { kind: 'worker', tokenId: row.id, orgId: row.org_id }
      : row.user_id && row.email && row.role
        ? {
            kind: 'user',
            tokenId: row.id,
            userId: row.user_id,
            email: row.email,
            orgId: row.org_id,
            orgName: row.org_name,
            role: row.role,
          }
        : null;
  return actor && { actor, expiresAt: row.expires_at?.getTime() ?? null };
}

function affected(actor: Actor, event: AuthEvent): boolean {
  if (event.tokenId && event.tokenId === actor.tokenId) return true;
  return actor.kind === 'user' && !!event.userId && event.userId === actor.userId && event.orgId === actor.orgId;
}

const isFresh = (entry: Trusted | undefined, now: number) =>
  !!entry && entry.until > now && (entry.expiresAt === null || entry.expiresAt > now);

/**
 * Verifies bearer tokens: malformed, unknown, revoked or expired tokens, and users no longer in
 * the org, get null. A verified token is trusted for a few seconds without a lookup; revocation,
 * removal and role changes end that at once here and, through the event hub, on every instance.
 * Given the client's address, failures are counted per address and, past the throttle's limit,
 * a token not already trusted is refused with TOO_MANY_REQUESTS before it costs a lookup.
 * @example const actor = await auth.authenticate(bearer, req.ip);
 */
export function createAuthenticator(
  db: Kysely<Database>,
  hub: EventHub,
  throttle: AuthThrottle = createAuthThrottle(),
) {
  const trusted = new Map<string, Trusted>();
  const forget = (event: AuthEvent) => {
    for (const [key, entry] of trusted) if (affected(entry.actor, event)) trusted.delete(key);
  };
  hub.onAuth(forget);
  hub.onResync(() => trusted.clear());

  const touch = async (entry: Trusted, now: number) => {
    if (now - entry.touchedAt < TOUCH_INTERVAL_MS) return;
    entry.touchedAt = now;
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: sql`now()` })
      .where('id', '=', entry.actor.tokenId)
      .execute();
  };

  const verify = async (token: string): Promise<Actor | null> => {
    if (!looksLikeToken(token)) return null;
    const hash = hashToken(token);
    const key = hash.toString('base64');
    const now = Date.now();
    let entry = trusted.get(key);
    if (!entry || !isFresh(entry, now)) {
      trusted.delete(key);
      const found = await lookup(db, hash);
      if (!found) return null;
      if (trusted.size >= MAX_ENTRIES) trusted.clear();
      entry = {
        actor: found.actor,
        until: now + TRUST_MS,
        expiresAt: found.expiresAt,
        touchedAt: entry?.touchedAt ?? 0,
      };
      trusted.set(key, entry);
    }
    await touch(entry, now);
    return entry.actor;
  };

  return {
    async authenticate(token: string, address?: string): Promise<Actor | null> {
      if (address === undefined) return verify(token);
      if (!(looksLikeToken(token) && isFresh(trusted.get(hashToken(token).toString('base64')), Date.now())))
        throttle.check(address);
      const actor = await verify(token);
      if (!actor) throttle.fail(address);
      return actor;
    },
    /** Ends trust in the tokens an event names, in this process (the hub tells the others). */
    forget,
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
