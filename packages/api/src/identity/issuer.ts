import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { z } from 'zod';
import { AppError } from '../core/errors';
import { ASYMMETRIC_ALGORITHMS, type IssuerConfig } from '../core/identity-config';

/** Refusals say why, so whoever configures the identity provider can fix the token. */
export const unauthorized = (message: string, reason: string, cause?: unknown) =>
  new AppError('UNAUTHORIZED', message, { reason, cause });

const unavailable = (message: string, cause: unknown) =>
  new AppError('SERVICE_UNAVAILABLE', message, { reason: 'IDENTITY_PROVIDER_UNAVAILABLE', cause });

const metadataSchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.url(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
});

/** Clock skew allowed on exp and nbf. */
const CLOCK_TOLERANCE_S = 5;
/** A failed discovery is retried at most this often, so a dead provider is not hammered. */
const DISCOVERY_RETRY_MS = 10_000;

/** OpenID Connect discovery, then RFC 8414 (authorization server metadata) when that has none. */
async function discover(issuer: string) {
  const base = issuer.replace(/\/$/, '');
  const path = new URL(issuer).pathname.replace(/\/$/, '');
  const candidates = [
    `${base}/.well-known/openid-configuration`,
    `${new URL(issuer).origin}/.well-known/oauth-authorization-server${path}`,
  ];
  let lastError: unknown;
  for (const url of candidates) {
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
      const metadata = metadataSchema.parse(await res.json());
      if (metadata.issuer !== issuer)
        throw new Error(`metadata at ${url} names issuer ${metadata.issuer}, expected ${issuer}`);
      return metadata;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/**
 * One trusted issuer: its metadata discovered once (retried after a failure), its JWKS fetched
 * lazily and cached by jose, which refetches when a token names an unknown `kid` — at most once
 * per `jwksCooldownMs`.
 */
export function createIssuer(config: IssuerConfig) {
  let keys: Promise<{ jwks: ReturnType<typeof createRemoteJWKSet>; algorithms: string[] }> | undefined;
  let failedAt = 0;

  const load = async () => {
    const metadata = config.jwksUri && config.algorithms ? undefined : await discover(config.issuer);
    const listed = metadata?.id_token_signing_alg_values_supported ?? [...ASYMMETRIC_ALGORITHMS];
    const asymmetric = new Set<string>(ASYMMETRIC_ALGORITHMS);
    const algorithms = (config.algorithms ?? listed).filter((alg) => asymmetric.has(alg));
    if (!algorithms.length) throw new Error(`issuer ${config.issuer} lists no asymmetric signing algorithm`);
    const jwksUri = new URL(config.jwksUri ?? metadata!.jwks_uri);
    return { jwks: createRemoteJWKSet(jwksUri, { cooldownDuration: config.jwksCooldownMs }), algorithms };
  };

  const ready = () => {
    if (!keys && Date.now() - failedAt >= DISCOVERY_RETRY_MS) {
      keys = load().catch((err) => {
        failedAt = Date.now();
        keys = undefined;
        throw err;
      });
    }
    if (!keys) throw unavailable(`The identity provider ${config.issuer} could not be reached; retry later`, null);
    return keys.catch((err) => {
      throw unavailable(`The identity provider ${config.issuer} could not be reached; retry later`, err);
    });
  };

  return {
    config,
    /** The verified claims of a token from this issuer, or UNAUTHORIZED saying what is wrong. */
    async verify(token: string, alg: string | undefined, kid: string | undefined): Promise<JWTPayload> {
      const { jwks, algorithms } = await ready();
      if (!alg || !algorithms.includes(alg))
        throw unauthorized(
          `Token algorithm "${alg ?? 'none'}" is not accepted; ${config.issuer} tokens must use ${algorithms.join(', ')}`,
          'TOKEN_ALGORITHM',
        );
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms,
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['sub', 'exp'],
        });
        return payload;
      } catch (err) {
        throw refusal(err, config, kid);
      }
    },
  };
}

export type Issuer = ReturnType<typeof createIssuer>;

/** jose's failure as a clear UNAUTHORIZED (or SERVICE_UNAVAILABLE when the keys cannot be fetched). */
function refusal(err: unknown, config: IssuerConfig, kid: string | undefined): AppError {
  if (err instanceof errors.JWTExpired) return unauthorized('The token has expired', 'TOKEN_EXPIRED', err);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat')
      return unauthorized('The token is not valid yet (nbf or iat is in the future)', 'TOKEN_NOT_YET_VALID', err);
    if (err.claim === 'aud')
      return unauthorized(
        `The token is not meant for this API: its audience must include "${config.audience}"`,
        'TOKEN_AUDIENCE',
        err,
      );
    return unauthorized(`The token's "${err.claim}" claim is missing or invalid`, 'TOKEN_CLAIMS', err);
  }
  if (err instanceof errors.JWKSNoMatchingKey)
    return unauthorized(
      `The token's signing key (kid "${kid ?? '-'}") is not in the JWKS of ${config.issuer}`,
      'TOKEN_UNKNOWN_KEY',
      err,
    );
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err instanceof TypeError)
    return unavailable(`The signing keys of ${config.issuer} could not be fetched; retry later`, err);
  if (err instanceof errors.JOSEError)
    return unauthorized('The token signature or format is invalid', 'TOKEN_INVALID', err);
  return unavailable(`The signing keys of ${config.issuer} could not be fetched; retry later`, err);
}
