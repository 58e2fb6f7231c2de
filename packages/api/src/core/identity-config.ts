import { z } from 'zod';

/** Asymmetric JWS algorithms only: never `none`, never an HMAC (whose key would be public here). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http on a loopback host (a provider started by a test or on the same machine). */
const secureUrl = z.url().refine((v) => {
  const url = new URL(v);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}, 'must be an https URL (http only on 127.0.0.1 or localhost)');

const claimPath = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_:/.-]+$/, 'must be a claim name, or a dotted path such as realm_access.roles');

const list = z.union([
  z.array(z.string().trim().min(1)),
  z.string().transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
]);

const issuerSchema = z.strictObject({
  /** The `iss` of the tokens, exactly; its metadata is discovered under it. */
  issuer: secureUrl,
  /** The `aud` the tokens must carry: this API's identifier at the identity provider. */
  audience: z.string().trim().min(1),
  /** The console's public client at this issuer; without it the console offers token sign-in only. */
  clientId: z.string().trim().min(1).optional(),
  /** Scopes the console asks for. */
  scopes: z.string().trim().min(1).default('openid email profile'),
  /** The resource indicator the console asks tokens for (RFC 8707); default: the audience. */
  resource: z.string().trim().min(1).optional(),
  /** The claim naming the Strongroom org, and whether it holds the org's name or its id. */
  orgClaim: claimPath.default('org'),
  orgMatch: z.enum(['name', 'id']).default('name'),
  /** The claim holding roles or groups (a string or an array), and the values meaning admin. */
  rolesClaim: claimPath.default('roles'),
  adminValues: list.pipe(z.array(z.string()).min(1)).default(['admin']),
  /** The claim shown as the user's email (default `email`; the subject when absent). */
  emailClaim: claimPath.default('email'),
  /** Accepted algorithms; default: the asymmetric ones the issuer's metadata lists. */
  algorithms: list.pipe(z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1)).optional(),
  /** The JWKS location, for a platform that publishes keys but no metadata document. */
  jwksUri: secureUrl.optional(),
  /** Minimum time between two JWKS fetches caused by an unknown `kid`. */
  jwksCooldownMs: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
});

export type IssuerConfig = z.infer<typeof issuerSchema>;

const envSchema = z.object({
  OIDC_ISSUERS: z.string().trim().optional(),
  OIDC_ISSUER: z.string().trim().optional(),
  OIDC_AUDIENCE: z.string().optional(),
  OIDC_CLIENT_ID: z.string().optional(),
  OIDC_SCOPES: z.string().optional(),
  OIDC_RESOURCE: z.string().optional(),
  OIDC_ORG_CLAIM: z.string().optional(),
  OIDC_ORG_MATCH: z.string().optional(),
  OIDC_ROLES_CLAIM: z.string().optional(),
  OIDC_ADMIN_VALUES: z.string().optional(),
  OIDC_EMAIL_CLAIM: z.string().optional(),
  OIDC_ALGORITHMS: z.string().optional(),
  OIDC_JWKS_URI: z.string().optional(),
  OIDC_JWKS_COOLDOWN_MS: z.string().optional(),
});

const SINGLE: Record<string, keyof z.input<typeof issuerSchema>> = {
  OIDC_ISSUER: 'issuer',
  OIDC_AUDIENCE: 'audience',
  OIDC_CLIENT_ID: 'clientId',
  OIDC_SCOPES: 'scopes',
  OIDC_RESOURCE: 'resource',
  OIDC_ORG_CLAIM: 'orgClaim',
  OIDC_ORG_MATCH: 'orgMatch',
  OIDC_ROLES_CLAIM: 'rolesClaim',
  OIDC_ADMIN_VALUES: 'adminValues',
  OIDC_EMAIL_CLAIM: 'emailClaim',
  OIDC_ALGORITHMS: 'algorithms',
  OIDC_JWKS_URI: 'jwksUri',
  OIDC_JWKS_COOLDOWN_MS: 'jwksCooldownMs',
};

/** What went wrong, one entry per bad field, named as the operator wrote it. */
function problems(error: z.ZodError, name: (path: PropertyKey[]) => string): string[] {
  return error.issues.map((i) => `${name(i.path)}: ${i.message}`);
}

/**
 * The trusted issuers from `OIDC_ISSUER` (+ `OIDC_AUDIENCE`, claim mapping) or `OIDC_ISSUERS`
 * (a JSON array of the same fields in camelCase). Returns the problems instead of throwing, so
 * the caller reports them together with the rest of the configuration.
 * @example identityConfig({ OIDC_ISSUER: 'https://idp.example', OIDC_AUDIENCE: 'strongroom' })
 */
export function identityConfig(
  env: Record<string, string | undefined>,
): { issuers: IssuerConfig[]; problems: [] } | { issuers: []; problems: string[] } {
  const e = envSchema.parse(env);
  const set = Object.keys(SINGLE).filter((k) => e[k as keyof typeof e]?.trim());
  if (e.OIDC_ISSUERS) {
    if (set.length) return { issuers: [], problems: [`OIDC_ISSUERS: set it or ${set.join(', ')}, not both`] };
    let json: unknown;
    try {
      json = JSON.parse(e.OIDC_ISSUERS);
    } catch {
      return { issuers: [], problems: ['OIDC_ISSUERS: must be a JSON array of issuer objects'] };
    }
    const parsed = z.array(issuerSchema).min(1).safeParse(json);
    if (!parsed.success)
      return { issuers: [], problems: problems(parsed.error, (p) => `OIDC_ISSUERS[${p.join('.')}]`) };
    const names = parsed.data.map((i) => i.issuer);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) return { issuers: [], problems: [`OIDC_ISSUERS: issuer ${twice} is listed twice`] };
    return { issuers: parsed.data, problems: [] };
  }
  if (!set.length) return { issuers: [], problems: [] };
  const fields = Object.fromEntries(
    set.map((k): [string, string] => [SINGLE[k]!, e[k as keyof typeof e]!.trim()]).filter(([, v]) => v !== ''),
  );
  const parsed = issuerSchema.safeParse(fields);
  if (!parsed.success) {
    const envName = (p: PropertyKey[]) => Object.keys(SINGLE).find((k) => SINGLE[k] === p[0]) ?? `OIDC_${String(p[0])}`;
    return { issuers: [], problems: problems(parsed.error, envName) };
  }
  return { issuers: [parsed.data], problems: [] };
}

/** What the console needs to sign people in: the first issuer that names a public client. */
export interface ConsoleSignIn {
  issuer: string;
  clientId: string;
  scopes: string;
  resource: string;
}

/**
 * The console's identity-provider sign-in, or null when it offers token sign-in only.
 * @example consoleSignIn(config.oidcIssuers) // { issuer, clientId, scopes, resource } | null
 */
export function consoleSignIn(issuers: readonly IssuerConfig[]): ConsoleSignIn | null {
  const issuer = issuers.find((i) => i.clientId);
  return issuer
    ? {
        issuer: issuer.issuer,
        clientId: issuer.clientId!,
        scopes: issuer.scopes,
        resource: issuer.resource ?? issuer.audience,
      }
    : null;
}
