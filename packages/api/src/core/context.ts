import { randomUUID } from 'node:crypto';
import type { Actor } from './actor';
import type { AppDeps } from '../app';

/** Per-request context; built the same way for HTTP and for tests' `createCaller`. */
export interface Context {
  readonly deps: AppDeps;
  readonly requestId: string;
  /**
   * The authenticated caller for the bearer token, or null; looked up once per request. A JWT
   * that is refused rejects with UNAUTHORIZED saying why.
   */
  actor(): Promise<Actor | null>;
}

/**
 * The context without any Fastify objects, so tests run every middleware and check.
 * @example const caller = createCaller(createContextInner({ deps, token }));
 */
export function createContextInner(opts: {
  deps: AppDeps;
  token?: string | undefined;
  requestId?: string;
  /** The client's address over HTTP; failed authentications from it are throttled. */
  address?: string;
}): Context {
  let actor: Promise<Actor | null> | undefined;
  return {
    deps: opts.deps,
    requestId: opts.requestId ?? randomUUID(),
    actor: () => (actor ??= authenticate(opts.deps, opts.token, opts.address)),
  };
}

/** A compact JWS: three base64url parts, the header a JSON object (`eyJ`). Opaque tokens never match. */
const looksLikeJwt = (token: string) => /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(token);

/** Opaque tokens go to the token table; JWTs (only when an issuer is configured) to the identity provider's keys. */
function authenticate(deps: AppDeps, token: string | undefined, address: string | undefined): Promise<Actor | null> {
  if (!token) return Promise.resolve(null);
  if (deps.identity && looksLikeJwt(token)) return deps.identity.authenticate(token, address);
  return deps.auth.authenticate(token, address);
}

/** The bearer token of an Authorization header, if it has one. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
