import { join } from 'node:path';
import type { Envelope, Keyring } from '@strongroom/crypto';
import { type Database, migrateToLatest, openStorage, type Storage } from '@strongroom/db';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type AccessLog, createAccessLog } from './audit/access-log';
import { type AuditKeys, createAuditKeys } from './audit/keys';
import type { Config } from './core/config';
import { createEventHub, type EventHub } from './core/event-hub';
import { openEnvelope, openKeyring } from './core/keyring';
import { createPublicUrl, type PublicUrl } from './core/public-url';
import { createIdentityAuthenticator, type IdentityAuthenticator } from './identity/authenticate';
import { createDecisionCache, type DecisionCache } from './internal/decision-cache';
import { createRevealReads, type RevealReads } from './secrets/hot-reads';
import { sealLegacySecrets } from './secrets/legacy';
import { createAuthThrottle } from './tokens/auth-throttle';
import { type Authenticator, createAuthenticator } from './tokens/authenticate';

/**
 * What every service needs, built once per process by `openDeps` and shared by all requests.
 * Services that need only a few of these take `Pick<AppDeps, ...>`, so a test builds just those.
 */
export interface AppDeps {
  readonly storage: Storage;
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
  /** Seals and opens values; the API binds `org_id` into the KMS context and all ids into the AAD. */
  readonly envelope: Envelope;
  readonly config: Config;
  /** NOTIFY fan-out: value changes for runtimes, auth changes for the token cache. */
  readonly events: EventHub;
  readonly auth: Authenticator;
  /** JWTs of the trusted identity providers; undefined when none is configured. */
  readonly identity: IdentityAuthenticator | undefined;
  /** Group-committed audit rows for reads (reveals, runtime accesses). */
  readonly accessLog: AccessLog;
  /** Reveals' rate-limit counts and envelope reads, batched per person. */
  readonly reveals: RevealReads;
  /** Allowed run-time access decisions, dropped by the org's change events. */
  readonly decisions: DecisionCache;
  /** The audit chain's HMAC keys, sealed under the KEK in the database. */
  readonly auditKeys: AuditKeys;
  readonly log: Logger;
  /** Strongroom's external base URL: PUBLIC_URL, else the address the HTTP server listens on. */
  readonly publicUrl: PublicUrl;
}

/** Opens the configured database: Postgres when DATABASE_URL is set, else PGlite under DATA_DIR. */
export function openConfiguredStorage(config: Config): Promise<Storage> {
  return config.databaseUrl
    ? openStorage({
        engine: 'postgres',
        url: config.databaseUrl,
        poolSize: config.dbPoolSize,
        preparedStatements: config.dbPreparedStatements,
      })
    : openStorage({ engine: 'pglite', dataDir: join(config.dataDir, 'pgdata') });
}

/**
 * Everything a process needs, wired once. Tests pass their own storage and keyring.
 * @example const deps = await openDeps(config, log);
 */
export async function openDeps(
  config: Config,
  log: Logger,
  parts: { storage?: Storage; keyring?: Keyring } = {},
): Promise<AppDeps> {
  const keyring = parts.keyring ?? openKeyring(config, log);
  const storage = parts.storage ?? (await openConfiguredStorage(config));
  const events = createEventHub(storage);
  // One failure count per client address, whichever kind of token failed.
  const throttle = createAuthThrottle();
  await events.start();
  const envelope = openEnvelope(keyring, config.dataKeyCacheMaxAgeMs);
  const auditKeys = createAuditKeys(storage.db, envelope, log);
  // On a migrated database the keys open now; otherwise prepareDatabase opens them after migrating.
  await auditKeys.load();
  return {
    storage,
    db: storage.db,
    keyring,
    envelope,
    config,
    log,
    events,
    auth: createAuthenticator(storage.db, events, throttle),
    identity: config.oidcIssuers.length
      ? createIdentityAuthenticator(storage.db, events, config.oidcIssuers, throttle)
      : undefined,
    accessLog: createAccessLog(storage, auditKeys),
    auditKeys,
    reveals: createRevealReads(storage),
    decisions: createDecisionCache(events),
    publicUrl: createPublicUrl(config.publicUrl),
  };
}

/**
 * Brings the schema up to date and seals any legacy plaintext. A migration that waits on a
 * backfill is reported, not fatal: the server runs on the schema before it.
 */
export async function prepareDatabase(deps: AppDeps) {
  const outcome = await migrateToLatest(deps.db);
  if (outcome.applied.length) deps.log.info({ migrations: outcome.applied }, 'applied migrations');
  if (outcome.blocked) deps.log.warn({ migration: outcome.blocked.name }, outcome.blocked.reason);
  await deps.auditKeys.load();
  const sealed = await sealLegacySecrets(deps);
  if (sealed) deps.log.info({ sealed }, 'sealed legacy plaintext secrets');
  return { ...outcome, sealed };
}
