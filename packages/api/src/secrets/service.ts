import { randomUUID } from 'node:crypto';
import type { Database, SecretRow } from '@strongroom/db';
import type { Kysely, Transaction } from 'kysely';
import type { z } from 'zod';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { AppError, isUniqueViolation, notFound } from '../core/errors';
import { publish } from '../core/event-hub';
import { enforceRateLimit } from '../core/rate-limit';
import { iso, isoOrNull, isStorableText } from '../core/schemas';
import { readSecretMeta, type SecretMetaRow } from './hot-reads';
import { referrersOf } from './references';
import { REVEAL_WINDOW_MS, revealLimitKey } from './reveal-limit';
import type {
  createSecretInput,
  listSecretsInput,
  optionsInput,
  revealInput,
  rollbackInput,
  SecretMeta,
  updateSecretInput,
  UsedBy,
} from './schemas';
import {
  addVersion,
  deleteSecretRow,
  findSecret,
  findVersionValue,
  insertSecret,
  listSecretRows,
  listVersionRows,
  openSecret,
  sealSecret,
  type SecretPosition,
  type SealedVersion,
  type SecretListRow,
  secretNames,
  updateSecretRow,
} from './store';
import { lockOrgRow } from '../core/org-rows';

function toMeta(row: Omit<SecretMetaRow, 'used_by'>, usedBy: UsedBy[]): SecretMeta {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    namespace: row.namespace,
    scope: row.scope,
    description: row.description,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    rotatedAt: isoOrNull(row.rotated_at),
    createdBy: row.created_by,
    usedBy,
    revealable: row.revealable,
    rotationPeriodDays: row.rotation_period_days,
    rotationDue: row.rotation_due,
  };
}

async function withReferrers(db: Kysely<Database>, orgId: string, rows: SecretListRow[]): Promise<SecretMeta[]> {
  const refs = await referrersOf(
    db,
    orgId,
    rows.map((r) => r.id),
  );
  return rows.map((row) => toMeta(row, refs.get(row.id) ?? []));
}

function requireSealed(row: Pick<SecretRow, 'value'>): Uint8Array {
  if (!row.value) {
    throw new AppError('PRECONDITION_FAILED', 'This legacy secret is not sealed yet; restart the server to seal it', {
      reason: 'LEGACY_UNSEALED',
    });
  }
  return row.value;
}

function nameTaken(name: string, namespace: string, cause: unknown) {
  return new AppError('CONFLICT', `A secret named "${name}" already exists in namespace "${namespace}"`, {
    reason: 'NAME_TAKEN',
    field: 'name',
    cause,
  });
}

function decodeCursor(cursor: string): SecretPosition {
  try {
    const [namespace, name] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof namespace === 'string' && typeof name === 'string' && isStorableText(namespace + name))
      return { namespace, name };
  } catch {
    // fall through to the error below
  }
  throw new AppError('BAD_REQUEST', 'cursor is not one this server issued', {
    field: 'cursor',
    reason: 'INVALID_INPUT',
  });
}

const encodeCursor = (row: SecretPosition) =>
  Buffer.from(JSON.stringify([row.namespace, row.name])).toString('base64url');

export async function listSecrets(call: Call, input: z.output<typeof listSecretsInput>) {
  const rows = await listSecretRows(call.deps.db, call.actor.orgId, {
    namespace: input.namespace,
    scope: input.scope,
    search: input.search,
    rotationDue: input.rotationDue,
    after: input.cursor ? decodeCursor(input.cursor) : undefined,
    limit: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: await withReferrers(call.deps.db, call.actor.orgId, page),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  };
}

export async function getSecret(call: Call, id: string): Promise<SecretMeta> {
  const row = await readSecretMeta(call.deps.storage, call.actor.orgId, id);
  if (!row) throw notFound('Secret');
  return toMeta(row, row.used_by);
}

/**
 * Creates a secret holding `sealed` (version 1) in the caller's transaction, with its history
 * entry and audit row; `secrets.create` and `secrets.import` both create through here. A taken
 * name is CONFLICT naming it.
 */
export async function createSecretIn(
  call: Call,
  trx: Transaction<Database>,
  sealed: SealedVersion,
  input: Omit<z.output<typeof createSecretInput>, 'value'>,
): Promise<SecretMeta> {
  const { deps, actor } = call;
  const row = await insertSecret(trx, deps.auditKeys, {
    sealed,
    fields: {
      name: input.name,
      namespace: input.namespace,
      scope: input.scope,
      description: input.description,
      revealable: input.revealable,
      rotation_period_days: input.rotationPeriodDays,
    },
    createdBy: actor.userId,
    audit: {
      by: auditActor(actor, call.requestId),
      event: {
        action: 'secret.create',
        targetType: 'secret',
        targetId: sealed.secretId,
        metadata: {
          name: input.name,
          namespace: input.namespace,
          scope: input.scope,
          version: 1,
          revealable: input.revealable,
          rotationPeriodDays: input.rotationPeriodDays,
        },
      },
    },
  }).catch((err: unknown) => {
    throw isUniqueViolation(err) ? nameTaken(input.name, input.namespace, err) : err;
  });
  // A version written just now is never past a period of a day or more.
  return toMeta({ ...row, rotation_due: false }, []);
}

export async function createSecret(call: Call, input: z.output<typeof createSecretInput>): Promise<SecretMeta> {
  const { deps, actor } = call;
  // Sealed before the transaction, so a slow keyring holds no locks.
  const sealed = await sealSecret(deps, { orgId: actor.orgId, secretId: randomUUID(), version: 1 }, input.value);
  return deps.db.transaction().execute((trx) => createSecretIn(call, trx, sealed, input));
}

export async function updateSecret(call: Call, input: z.output<typeof updateSecretInput>): Promise<SecretMeta> {
  return call.deps.db.transaction().execute(async (trx) => {
    const current = await lockOrgRow(trx, 'secrets', call.actor.orgId, input.id, 'Secret');
    return updateLockedSecret(call, trx, current, input);
  });
}

const writeOnlyForever = () =>
  new AppError('CONFLICT', 'A write-only secret cannot be made revealable again; create a new secret instead', {
    reason: 'WRITE_ONLY',
    field: 'revealable',
  });

/**
 * Applies an update to a secret locked in the caller's transaction: a new value is a new version
 * (`secret.rotate`), other fields a `secret.update`, and making it write-only a
 * `secret.write_only` row of its own. `secrets.update` and `secrets.import` both update through here.
 */
export async function updateLockedSecret(
  call: Call,
  trx: Transaction<Database>,
  current: SecretRow,
  input: z.output<typeof updateSecretInput>,
): Promise<SecretMeta> {
  const { deps, actor } = call;
  if (input.revealable === true && !current.revealable) throw writeOnlyForever();
  const makeWriteOnly = input.revealable === false && current.revealable;
  if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
    throw new AppError(
      'CONFLICT',
      `The secret is at version ${current.version}, not ${input.expectedVersion}; reload and retry`,
      { reason: 'VERSION_CONFLICT', field: 'expectedVersion', details: { currentVersion: current.version } },
    );
  }
  const valueChange = input.value === undefined ? {} : await addVersion(trx, deps, current, input.value, actor.userId);
  const updated = await updateSecretRow(trx, current.id, {
    ...valueChange,
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.rotationPeriodDays === undefined ? {} : { rotation_period_days: input.rotationPeriodDays }),
    ...(makeWriteOnly ? { revealable: false } : {}),
    updated_by: actor.userId,
  }).catch((err: unknown) => {
    throw isUniqueViolation(err) ? nameTaken(input.name ?? current.name, current.namespace, err) : err;
  });
  const by = auditActor(actor, call.requestId);
  const changed = (['name', 'description', 'value', 'rotationPeriodDays'] as const).filter(
    (k) => input[k] !== undefined,
  );
  if (changed.length > 0 || !makeWriteOnly) {
    await appendAudit(trx, deps.auditKeys, by, {
      action: input.value === undefined ? 'secret.update' : 'secret.rotate',
      targetType: 'secret',
      targetId: current.id,
      metadata: { changed, version: updated.version, name: updated.name },
    });
  }
  if (makeWriteOnly) {
    await appendAudit(trx, deps.auditKeys, by, {
      action: 'secret.write_only',
      targetType: 'secret',
      targetId: current.id,
      metadata: { version: updated.version, name: updated.name },
    });
  }
  // Read inside the transaction: once it commits, the answer is already in hand, so a failing
  // read cannot turn a committed change into an error that a blind retry would repeat.
  return (await withReferrers(trx, actor.orgId, [updated]))[0]!;
}

export async function deleteSecret(call: Call, id: string): Promise<{ id: string }> {
  const { deps, actor } = call;
  return deps.db.transaction().execute(async (trx) => {
    const row = await lockOrgRow(trx, 'secrets', actor.orgId, id, 'Secret');
    const refs = (await referrersOf(trx, actor.orgId, [id])).get(id) ?? [];
    if (refs.length > 0) {
      const names = refs.map((r) => `${r.type === 'provider' ? 'provider' : 'MCP server'} "${r.name}"`).join(', ');
      throw new AppError('CONFLICT', `The secret is in use by ${names}; point them elsewhere first`, {
        reason: 'SECRET_IN_USE',
        details: { usedBy: refs },
      });
    }
    await deleteSecretRow(trx, id);
    await publish(trx, { type: 'secret.deleted', orgId: actor.orgId, id, version: row.version });
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'secret.delete',
      targetType: 'secret',
      targetId: id,
      metadata: { name: row.name, namespace: row.namespace, version: row.version },
    });
    return { id };
  });
}

/** What a reveal (or an export) of a write-only secret answers. */
export const writeOnly = () =>
  new AppError(
    'FORBIDDEN',
    'This secret is write-only: its value can be set, rotated and used by the runtime, but never revealed or exported',
    { reason: 'WRITE_ONLY' },
  );

export async function revealSecret(call: Call, input: z.output<typeof revealInput>) {
  const { deps, actor } = call;
  const row = await deps.reveals.countAndRead({
    limitKey: revealLimitKey(actor),
    windowMs: REVEAL_WINDOW_MS,
    orgId: actor.orgId,
    id: input.id,
  });
  enforceRateLimit(row, deps.config.revealRateLimit, REVEAL_WINDOW_MS);
  if (!row.id || row.version === null) throw notFound('Secret');
  if (!row.revealable) throw writeOnly();
  const value = await openSecret(
    deps,
    { orgId: actor.orgId, secretId: row.id, version: row.version },
    requireSealed(row),
  );
  // The value leaves only once its audit row has committed.
  await deps.accessLog.record(auditActor(actor, call.requestId), {
    action: 'secret.reveal',
    targetType: 'secret',
    targetId: row.id,
    metadata: { version: row.version, reason: input.reason ?? null },
  });
  return { id: row.id, version: row.version, value };
}

export async function listVersions(call: Call, id: string) {
  const { db } = call.deps;
  if (!(await findSecret(db, call.actor.orgId, id, ['id']))) throw notFound('Secret');
  const rows = await listVersionRows(db, id, ['version', 'created_at', 'created_by']);
  return rows.map((r) => ({ version: r.version, createdAt: iso(r.created_at), createdBy: r.created_by }));
}

export async function rollbackSecret(call: Call, input: z.output<typeof rollbackInput>): Promise<SecretMeta> {
  const { deps, actor } = call;
  return deps.db.transaction().execute(async (trx) => {
    const current = await lockOrgRow(trx, 'secrets', actor.orgId, input.id, 'Secret');
    if (input.toVersion >= current.version) {
      throw new AppError('BAD_REQUEST', `toVersion must be an earlier version than the current ${current.version}`, {
        field: 'toVersion',
        reason: 'INVALID_INPUT',
      });
    }
    const old = await findVersionValue(trx, current.id, input.toVersion);
    if (!old)
      throw new AppError('NOT_FOUND', `Version ${input.toVersion} of this secret not found`, { field: 'toVersion' });
    const value = await openSecret(
      deps,
      { orgId: current.org_id, secretId: current.id, version: input.toVersion },
      old.value,
    );
    const change = await addVersion(trx, deps, current, value, actor.userId);
    const updated = await updateSecretRow(trx, current.id, { ...change, updated_by: actor.userId });
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'secret.rollback',
      targetType: 'secret',
      targetId: current.id,
      metadata: { fromVersion: current.version, toVersion: input.toVersion, version: updated.version },
    });
    return (await withReferrers(trx, actor.orgId, [updated]))[0]!;
  });
}

/** Names only, for pickers that members use. */
export async function secretOptions(call: Call, input: z.output<typeof optionsInput>) {
  return secretNames(call.deps.db, call.actor.orgId, input.scope);
}
