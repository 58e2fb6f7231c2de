import type { Envelope, Keyring } from '@strongroom/crypto';
import type { Database, Storage } from '@strongroom/db';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log';
import type { AuditKeys } from '../audit/keys';
import type { DecisionCache } from '../internal/decision-cache';
import type { IdentityAuthenticator } from '../identity/authenticate';
import type { Authenticator } from '../tokens/authenticate';
import type { Config } from './config';
import type { EventHub } from './event-hub';

/** What every service needs, built once per process and shared by all requests. */
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
  /** Allowed run-time access decisions, dropped by the org's change events. */
  readonly decisions: DecisionCache;
  /** The audit chain's HMAC keys, sealed under the KEK in the database. */
  readonly auditKeys: AuditKeys;
  readonly log: Logger;
}
