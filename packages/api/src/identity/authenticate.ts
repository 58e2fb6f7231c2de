import { createHash } from 'node:crypto';
import type { Database, Role } from '@strongroom/db';
import { decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import type { UserActor } from '../core/actor';
import type { AuthEvent, EventHub } from '../core/event-hub';
import { AppError } from '../core/errors';
import type { AuthThrottle } from '../tokens/auth-throttle';
import type { IssuerConfig } from '../core/identity-config';
import { createIssuer, type Issuer, unauthorized } from './issuer';
import { type Identity, provision } from './provision';

/** A verified token is re-provisioned at most this often (and at once after an auth event). */
const TRUST_MS = 30_000;
const MAX_ENTRIES = 10_000;

/** A claim by name or dotted path (`realm_access.roles`). */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  return path
    .split('.')
    .reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      payload,
    );
}

const strings = (v: unknown): string[] =>
  typeof v === 'string' ? v.split(' ').filter(Boolean) : Array.isArray(v) ? v.filter((s) => typeof s === 'string') : [];

/** What the claims say, by the issuer's mapping; a token without a single org is refused. */
function identityOf(payload: JWTPayload, config: IssuerConfig): Identity {
  const orgClaim = claimAt(payload, config.orgClaim);
  const orgs = typeof orgClaim === 'string' ? [orgClaim] : strings(orgClaim);
  if (orgs.length !== 1)
    throw unauthorized(
      orgs.length
        ? `The token's "${config.orgClaim}" claim names several orgs; it must name one`
        : `The token has no "${config.orgClaim}" claim naming a Strongroom org`,
      'TOKEN_ORG_MISSING',
    );
  const roles = strings(claimAt(payload, config.rolesClaim));
  const role: Role = roles.some((r) => config.adminValues.includes(r)) ? 'admin' : 'member';
  const email = claimAt(payload, config.emailClaim);
  return {
    issuer: config.issuer,
    subject: payload.sub!,
    email: typeof email === 'string' && email ? email : `${payload.sub}@${new URL(config.issuer).host}`,
    org: { by: config.orgMatch, value: orgs[0]! },
    role,
  };
}

/**
 * Verifies JWT access tokens from the trusted issuers and returns the user they name, in the org
 * their claims name, with the role their claims give (provisioned on first sight). Anything
 * wrong is UNAUTHORIZED with a message saying what. Opaque tokens never come here.
 * @example const actor = await identity.authenticate(jwt);
 */
export function createIdentityAuthenticator(
  db: Kysely<Database>,
  hub: EventHub,
  configs: readonly IssuerConfig[],
  throttle: AuthThrottle,
) {
  const issuers = new Map<string, Issuer>(configs.map((c) => [c.issuer, createIssuer(c)]));
  const trusted = new Map<string, { actor: UserActor; until: number }>();
  hub.onAuth((event: AuthEvent) => {
    for (const [key, entry] of trusted)
      if (event.userId === entry.actor.userId || (!event.userId && event.orgId === entry.actor.orgId))
        trusted.delete(key);
  });
  hub.onResync(() => trusted.clear());

  const verify = async (key: string, token: string, now: number): Promise<UserActor> => {
    trusted.delete(key);

    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch (err) {
      throw unauthorized('The bearer token is neither a Strongroom token nor a well-formed JWT', 'TOKEN_INVALID', err);
    }
    const issuer = claims.iss ? issuers.get(claims.iss) : undefined;
    if (!issuer)
      throw unauthorized(`Tokens from issuer "${claims.iss ?? '(none)'}" are not trusted here`, 'TOKEN_ISSUER');
    const payload = await issuer.verify(token, header.alg, header.kid);
    const identity = identityOf(payload, issuer.config);
    const user = await provision(db, identity);
    const actor: UserActor = {
      kind: 'user',
      // No api_tokens row stands behind a JWT; this names the person, stable across their tokens.
      tokenId: `oidc:${user.userId}`,
      userId: user.userId,
      email: user.email,
      orgId: user.orgId,
      orgName: user.orgName,
      role: identity.role,
      identity: { issuer: identity.issuer, subject: identity.subject },
    };
    if (trusted.size >= MAX_ENTRIES) trusted.clear();
    trusted.set(key, { actor, until: Math.min(now + TRUST_MS, (payload.exp ?? 0) * 1000) });
    return actor;
  };

  return {
    /** Given the client's address, refusals count towards its failed-authentication throttle. */
    async authenticate(token: string, address?: string): Promise<UserActor> {
      const key = createHash('sha256').update(token).digest('base64');
      const now = Date.now();
      const cached = trusted.get(key);
      if (cached && cached.until > now) return cached.actor;
      if (address === undefined) return verify(key, token, now);
      throttle.check(address);
      try {
        return await verify(key, token, now);
      } catch (err) {
        if (err instanceof AppError && err.code === 'UNAUTHORIZED') throttle.fail(address);
        throw err;
      }
    },
  };
}

export type IdentityAuthenticator = ReturnType<typeof createIdentityAuthenticator>;
