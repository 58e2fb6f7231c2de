import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { parseAllowlist } from '@strongroom/address-guard';
import { z } from 'zod';
import { identityConfig, type IssuerConfig } from './identity-config';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** What Fastify's trustProxy (proxy-addr) accepts in a list: an address, a CIDR or a named range. */
const isProxyEntry = (entry: string) => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [ip = '', bits, extra] = entry.split('/');
  const family = isIP(ip);
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

/** A browser origin exactly as the `Origin` header carries it: scheme, host and port, no path. */
const isOrigin = (entry: string) => {
  try {
    const url = new URL(entry);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry;
  } catch {
    return false;
  }
};

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  KEK_FILE: optionalString,
  KMS_KEY_ID: optionalString,
  KMS_ENDPOINT: optionalString.pipe(z.url().optional()),
  KMS_REGION: optionalString,
  AWS_REGION: optionalString,
  AI_GATEWAY_TOKEN: optionalString,
  MCP_ALLOWED_HOSTS: optionalString,
  CORS_ORIGINS: optionalString.pipe(
    z
      .string()
      .refine((v) => v.split(',').every((entry) => isOrigin(entry.trim())), {
        error: 'must be a comma-separated list of origins such as https://app.example.com (no path)',
      })
      .optional(),
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REVEAL_RATE_LIMIT: z.coerce.number().int().min(1).default(30),
  EXPORT_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DB_PREPARED_STATEMENTS: z.stringbool().default(true),
  DATA_KEY_CACHE_MAX_AGE_MS: z.coerce.number().int().min(1).max(3_600_000).default(300_000),
  MCP_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  MCP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  TRUST_PROXY: optionalString.pipe(
    z
      .string()
      .refine((v) => v === 'true' || v === 'false' || v.split(',').every((entry) => isProxyEntry(entry.trim())), {
        error: 'must be "true" or a comma-separated list of addresses, CIDRs, loopback, linklocal or uniquelocal',
      })
      .optional(),
  ),
  PUBLIC_URL: optionalString.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
      .refine((u) => !/[?#]/.test(u), { error: 'must not have a query or fragment' })
      .optional(),
  ),
  MCP_OAUTH_REFRESH_SKEW_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  MCP_OAUTH_PENDING_TTL_MS: z.coerce.number().int().min(10_000).max(3_600_000).default(600_000),
  TRPC_UI: z.stringbool().default(false),
});

/** The environment as the server uses it (identity providers aside): validated, then shaped once. */
const configSchema = envSchema.transform((e) => {
  const dataDir = resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    /** Local KEK file, used when no KMS key is configured. */
    kekFile: e.KEK_FILE ? (isAbsolute(e.KEK_FILE) ? e.KEK_FILE : resolve(e.KEK_FILE)) : join(dataDir, 'kek.json'),
    kms: e.KMS_KEY_ID
      ? { keyId: e.KMS_KEY_ID, endpoint: e.KMS_ENDPOINT, region: e.KMS_REGION ?? e.AWS_REGION ?? 'us-east-1' }
      : undefined,
    aiGatewayToken: e.AI_GATEWAY_TOKEN,
    mcpAllowedHosts: (e.MCP_ALLOWED_HOSTS ?? '').split(/[\s,]+/).filter(Boolean),
    /** Browser origins allowed to call the API cross-origin (CORS); none by default. */
    corsOrigins: (e.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    logLevel: e.LOG_LEVEL,
    /** Reveals (and MCP validations that send a secret) allowed per user per minute. */
    revealRateLimit: e.REVEAL_RATE_LIMIT,
    /** Whole-namespace reveals (`secrets.export`, `secrets.runEnv`) allowed per user per minute. */
    exportRateLimit: e.EXPORT_RATE_LIMIT,
    dbPoolSize: e.DB_POOL_SIZE,
    /** Hot-path queries as named prepared statements; false behind a pooler that cannot carry them. */
    dbPreparedStatements: e.DB_PREPARED_STATEMENTS,
    /** How long a plaintext data key may be reused before the keyring is asked again. */
    dataKeyCacheMaxAgeMs: e.DATA_KEY_CACHE_MAX_AGE_MS,
    /** MCP validation: connecting (and first byte), then each MCP request. */
    mcpConnectTimeoutMs: e.MCP_CONNECT_TIMEOUT_MS,
    mcpRequestTimeoutMs: e.MCP_REQUEST_TIMEOUT_MS,
    /**
     * Proxies whose `x-forwarded-for` / `x-forwarded-proto` are believed (client address for the
     * auth throttle, https for HSTS): `true` for any, or addresses and CIDRs; none by default.
     */
    trustProxy: trustedProxies(e.TRUST_PROXY),
    /**
     * The externally reachable base URL (no trailing slash); MCP OAuth's redirect URI is
     * `${publicUrl}/oauth/mcp/callback`. Unset: the address the server listens on.
     */
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    /** An MCP OAuth access token is refreshed when it expires within this many ms. */
    mcpOAuthRefreshSkewMs: e.MCP_OAUTH_REFRESH_SKEW_MS,
    /** How long a started MCP OAuth sign-in may take before its `state` is refused. */
    mcpOAuthPendingTtlMs: e.MCP_OAUTH_PENDING_TTL_MS,
    /** The tRPC UI at `/trpc-ui` (`TRPC_UI=true`); off by default, see docs/trpc-ui.md. */
    trpcUi: e.TRPC_UI,
  };
});

function trustedProxies(setting: string | undefined): boolean | string[] {
  if (setting === 'true') return true;
  if (setting === 'false') return [];
  return (setting ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
}

/** Everything the server reads from its environment, validated once at start. */
export type Config = Readonly<
  z.output<typeof configSchema> & {
    /** Identity providers whose JWT access tokens the API accepts (`OIDC_*`); empty when none. */
    oidcIssuers: readonly IssuerConfig[];
  }
>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates configuration from an environment object.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  const identity = identityConfig(env);
  if (!parsed.success || identity.problems.length) {
    const problems = [
      ...(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? []),
      ...identity.problems,
    ].join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  try {
    parseAllowlist(parsed.data.mcpAllowedHosts, { setting: 'MCP_ALLOWED_HOSTS' });
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`);
  }
  return Object.freeze({ ...parsed.data, oidcIssuers: identity.issuers });
}
