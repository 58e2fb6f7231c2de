import type { Database, NewSecretRow, SecretRow, SecretScope } from '@strongroom/db';
import { type Kysely, sql, type Transaction, type UpdateObject } from 'kysely';
import type { AppDeps } from '../app';
import type { AuditKeys } from '../audit/keys';
import { appendAudit, type AuditEvent } from '../audit/service';
import type { AuditActor } from '../core/actor';
import { publish } from '../core/event-hub';
import { openValue, sealValue } from '../core/sealing';

/**
 * The one module that reads and writes `secrets` and `secret_versions` through Kysely, and the
 * one that builds a secret's encryption context. Functions take the database or transaction
 * first; those that must run inside a transaction say so in their type. The prepared statements
 * of the hot read paths are in `hot-reads.ts`.
 */

type Db = Kysely<Database>;
type Trx = Transaction<Database>;

/** Which value of which secret: what its encryption context is made of. */
export interface SecretValueKey {
  orgId: string;
  secretId: string;
  version: number;
}

/** A value sealed for one version of one secret, ready to store. */
export interface SealedVersion extends SecretValueKey {
  value: Uint8Array;
  kekId: string;
}

/**
 * The context a secret value is sealed under. The envelope binds all of it into the GCM AAD and
 * only `org_id` into the KMS context, so a value copied to another row, org or version won't open.
 */
export function secretContext(key: SecretValueKey): Record<string, string> {
  return { org_id: key.orgId, secret_id: key.secretId, version: String(key.version) };
}

export async function sealSecret(
  deps: Pick<AppDeps, 'envelope'>,
  key: SecretValueKey,
  value: string,
): Promise<SealedVersion> {
  const { sealed, kekId } = await sealValue(deps, secretContext(key), value);
  return { ...key, value: sealed, kekId };
}

export function openSecret(deps: Pick<AppDeps, 'envelope'>, key: SecretValueKey, sealed: Uint8Array): Promise<string> {
  return openValue(deps, secretContext(key), sealed);
}

/** The audit row written with a change, in its transaction. */
export interface AuditWrite {
  by: AuditActor;
  event: AuditEvent;
}

/** What a caller chooses of a new secret's row; ids, value and version come from the sealed value. */
export type SecretFields = Omit<
  NewSecretRow,
  'id' | 'org_id' | 'value' | 'kek_id' | 'version' | 'created_by' | 'updated_by'
>;

async function insertVersion(trx: Trx, sealed: SealedVersion, createdBy: string | null) {
  await trx
    .insertInto('secret_versions')
    .values({
      secret_id: sealed.secretId,
      version: sealed.version,
      value: sealed.value,
      kek_id: sealed.kekId,
      created_by: createdBy,
    })
    .execute();
}

/**
 * Creates a secret holding `sealed` (version 1), with its history entry and its audit row, in the
 * caller's transaction: the secrets service and the MCP token backfill both create through here.
 * A taken name fails with the database's unique violation, for the caller to word.
 */
export async function insertSecret(
  trx: Trx,
  auditKeys: Pick<AuditKeys, 'current'>,
  input: { sealed: SealedVersion; fields: SecretFields; createdBy: string | null; audit: AuditWrite },
): Promise<SecretRow> {
  const { sealed, createdBy } = input;
  const row = await trx
    .insertInto('secrets')
    .values({
      ...input.fields,
      id: sealed.secretId,
      org_id: sealed.orgId,
      value: sealed.value,
      kek_id: sealed.kekId,
      version: sealed.version,
      created_by: createdBy,
      updated_by: createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await insertVersion(trx, sealed, createdBy);
  await appendAudit(trx, auditKeys, input.audit.by, input.audit.event);
  return row;
}

/**
 * Seals a legacy row in place: its plaintext (in the legacy `legacy_value` column, outside the
 * `Database` type) gives way to `sealed` at the row's version, with the history entry and audit
 * row that `insertSecret` writes for a new secret.
 */
export async function sealLegacyRow(
  trx: Trx,
  auditKeys: Pick<AuditKeys, 'current'>,
  sealed: SealedVersion,
  audit: AuditWrite,
): Promise<void> {
  await sql`update secrets set value = ${sealed.value}, kek_id = ${sealed.kekId}, legacy_value = null,
    updated_at = now() where id = ${sealed.secretId}`.execute(trx);
  await insertVersion(trx, sealed, null);
  await appendAudit(trx, auditKeys, audit.by, audit.event);
}

/** Legacy rows still holding plaintext, locked (skipping rows another sealer holds). */
export async function lockLegacyRows(trx: Trx, limit: number) {
  const { rows } = await sql<{ id: string; org_id: string; version: number; name: string; legacy_value: string }>`
    select id, org_id, version, name, legacy_value from secrets
    where legacy_value is not null limit ${limit} for update skip locked`.execute(trx);
  return rows;
}

/**
 * Seals `value` as the next version of a locked secret and writes its history entry and change
 * notice; answers the columns that make it the row's current value.
 */
export async function addVersion(
  trx: Trx,
  deps: Pick<AppDeps, 'envelope'>,
  row: Pick<SecretRow, 'id' | 'org_id' | 'version'>,
  value: string,
  createdBy: string | null,
) {
  const next = row.version + 1;
  const sealed = await sealSecret(deps, { orgId: row.org_id, secretId: row.id, version: next }, value);
  await insertVersion(trx, sealed, createdBy);
  await publish(trx, { type: 'secret.changed', orgId: row.org_id, id: row.id, version: next });
  return { value: sealed.value, kek_id: sealed.kekId, version: next, rotated_at: sql<Date>`now()` };
}

/**
 * Whether the current version of the secret row aliased `t` is older than the row's rotation
 * period: the one definition of "rotation due", in SQL text so the prepared statements of
 * `hot-reads.ts` share it. A reminder only: nothing expires because of it.
 */
export const rotationDueSql = (t: string) =>
  `coalesce(${t}.rotation_period_days is not null and (select v.created_at from secret_versions v
    where v.secret_id = ${t}.id and v.version = ${t}.version) < now() - make_interval(days => ${t}.rotation_period_days), false)`;

const rotationDue = sql<boolean>`${sql.raw(rotationDueSql('secrets'))}`;

/** A secret's row with whether its rotation is due: what the service shows as metadata. */
export type SecretListRow = SecretRow & { rotation_due: boolean };

/** Updates a secret's row (stamping `updated_at`) and answers it as it now is. */
export function updateSecretRow(
  trx: Trx,
  id: string,
  changes: Omit<UpdateObject<Database, 'secrets'>, 'updated_at'>,
): Promise<SecretListRow> {
  return trx
    .updateTable('secrets')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .returning(rotationDue.as('rotation_due'))
    .executeTakeFirstOrThrow();
}

/** Deletes a secret; its versions and grants go with it (foreign keys cascade). */
export async function deleteSecretRow(trx: Trx, id: string): Promise<void> {
  await trx.deleteFrom('secrets').where('id', '=', id).execute();
}

/** Some columns of the org's secret, or undefined: another org's id reads as a missing one. */
export function findSecret<C extends keyof SecretRow>(
  db: Db,
  orgId: string,
  id: string,
  columns: readonly C[],
): Promise<Pick<SecretRow, C> | undefined> {
  return db
    .selectFrom('secrets')
    .select(columns)
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .executeTakeFirst() as Promise<Pick<SecretRow, C> | undefined>;
}

/** Current versions of the org's secrets among `ids`. */
export function currentVersions(db: Db, orgId: string, ids: readonly string[]) {
  return db
    .selectFrom('secrets')
    .select(['id', 'version'])
    .where('org_id', '=', orgId)
    .where('id', 'in', [...ids])
    .execute();
}

/** Escapes LIKE wildcards so a search is literal. */
const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A position in the (namespace, name) order of an org's secrets. */
export interface SecretPosition {
  namespace: string;
  name: string;
}

/** A page of the org's secrets in (namespace, name) order, after `after` when given. */
export function listSecretRows(
  db: Db,
  orgId: string,
  filter: {
    namespace?: string | undefined;
    scope?: SecretScope | undefined;
    search?: string | undefined;
    rotationDue?: boolean | undefined;
    after?: SecretPosition | undefined;
    limit: number;
  },
): Promise<SecretListRow[]> {
  let query = db.selectFrom('secrets').selectAll().select(rotationDue.as('rotation_due')).where('org_id', '=', orgId);
  if (filter.rotationDue) query = query.where(rotationDue);
  if (filter.namespace) query = query.where('namespace', '=', filter.namespace);
  if (filter.scope) query = query.where('scope', '=', filter.scope);
  if (filter.search) {
    const pattern = likePattern(filter.search);
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('description', 'ilike', pattern)]));
  }
  if (filter.after) {
    query = query.where(sql<boolean>`(namespace, name) > (${filter.after.namespace}, ${filter.after.name})`);
  }
  return query.orderBy('namespace').orderBy('name').limit(filter.limit).execute();
}

/** How many of the org's secrets are past their rotation period. */
export async function countRotationDue(db: Db, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('secrets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where(rotationDue)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The org's secrets in `namespace` among `names` (with their current sealed values), locked for
 * the caller's transaction when `lock` is set: what an import compares against and updates.
 */
export function findSecretsByName(
  db: Db,
  orgId: string,
  namespace: string,
  names: readonly string[],
  options: { lock: boolean },
): Promise<SecretRow[]> {
  return db
    .selectFrom('secrets')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('namespace', '=', namespace)
    .where('name', 'in', [...names])
    .$if(options.lock, (qb) => qb.forUpdate())
    .execute();
}

/** Ids and names of the org's secrets (at most 1000), for pickers. */
export function secretNames(db: Db, orgId: string, scope: SecretScope | undefined) {
  let query = db.selectFrom('secrets').select(['id', 'name', 'namespace', 'scope']).where('org_id', '=', orgId);
  if (scope) query = query.where('scope', '=', scope);
  return query.orderBy('namespace').orderBy('name').limit(1000).execute();
}

/** Some columns of every stored version of a secret, newest first. */
export function listVersionRows<C extends 'version' | 'value' | 'kek_id' | 'created_at' | 'created_by'>(
  db: Db,
  secretId: string,
  columns: readonly C[],
) {
  return db
    .selectFrom('secret_versions')
    .select(columns)
    .where('secret_id', '=', secretId)
    .orderBy('version', 'desc')
    .execute();
}

/** The sealed value of one stored version, or undefined. */
export function findVersionValue(db: Db, secretId: string, version: number) {
  return db
    .selectFrom('secret_versions')
    .select('value')
    .where('secret_id', '=', secretId)
    .where('version', '=', version)
    .executeTakeFirst();
}
