import { randomUUID } from 'node:crypto';
import type { Database, SecretRow } from '@strongroom/db';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { AppError, isUniqueViolation, notFound } from '../core/errors';
import { publish } from '../core/event-hub';
import { enforceRateLimit } from '../core/rate-limit';
import { iso, isoOrNull, isStorableText } from '../core/schemas';
import { countRevealAndRead, readSecretMeta, type SecretMetaRow } from './hot-reads';
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
  lockSecret,
  openSecret,
  sealSecret,
  type SecretPosition,
  secretNames,
  updateSecretRow,
} from './store';

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
  };
}

async function withReferrers(db: Kysely<Database>, orgId: string, rows: SecretRow[]): Promise<SecretMeta[]> {
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

export async function createSecret(call: Call, input: z.output<typeof createSecretInput>): Promise<SecretMeta> {
  const { deps, actor } = call;
  const id = randomUUID();
  // Sealed before the transaction, so a slow keyring holds no locks.
  const sealed = await sealSecret(deps, { orgId: actor.orgId, secretId: id, version: 1 }, input.value);
  try {
    const row = await deps.db.transaction().execute((trx) =>
      insertSecret(trx, deps.auditKeys, {
        sealed,
        fields: { name: input.name, namespace: input.namespace, scope: input.scope, description: input.description },
        createdBy: actor.userId,
        audit: {
          by: auditActor(actor, call.requestId),
          event: {
            action: 'secret.create',
            targetType: 'secret',
            targetId: id,
            metadata: { name: input.name, namespace: input.namespace, scope: input.scope, version: 1 },
          },
        },
      }),
    );
    return toMeta(row, []);
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name, input.namespace, err);
    throw err;
  }
}

export async function updateSecret(call: Call, input: z.output<typeof updateSecretInput>): Promise<SecretMeta> {
  const { deps, actor } = call;
  return deps.db.transaction().execute(async (trx) => {
    const current = await lockSecret(trx, actor.orgId, input.id);
    if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
      throw new AppError(
        'CONFLICT',
        `The secret is at version ${current.version}, not ${input.expectedVersion}; reload and retry`,
        { reason: 'VERSION_CONFLICT', field: 'expectedVersion', details: { currentVersion: current.version } },
      );
    }
    const valueChange =
      input.value === undefined ? {} : await addVersion(trx, deps, current, input.value, actor.userId);
    const updated = await updateSecretRow(trx, current.id, {
      ...valueChange,
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.description === undefined ? {} : { description: input.description }),
      updated_by: actor.userId,
    }).catch((err: unknown) => {
      throw isUniqueViolation(err) ? nameTaken(input.name ?? current.name, current.namespace, err) : err;
    });
    const changed = (['name', 'description', 'value'] as const).filter((k) => input[k] !== undefined);
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: input.value === undefined ? 'secret.update' : 'secret.rotate',
      targetType: 'secret',
      targetId: current.id,
      metadata: { changed, version: updated.version, name: updated.name },
    });
    // Read inside the transaction: once it commits, the answer is already in hand, so a failing
    // read cannot turn a committed change into an error that a blind retry would repeat.
    return (await withReferrers(trx, actor.orgId, [updated]))[0]!;
  });
}

export async function deleteSecret(call: Call, id: string): Promise<{ id: string }> {
  const { deps, actor } = call;
  return deps.db.transaction().execute(async (trx) => {
    const row = await lockSecret(trx, actor.orgId, id);
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

export async function revealSecret(call: Call, input: z.output<typeof revealInput>) {
  const { deps, actor } = call;
  const row = await countRevealAndRead(deps.storage, {
    limitKey: revealLimitKey(actor),
    windowMs: REVEAL_WINDOW_MS,
    orgId: actor.orgId,
    id: input.id,
  });
  enforceRateLimit(row, deps.config.revealRateLimit, REVEAL_WINDOW_MS);
  if (!row.id || row.version === null) throw notFound('Secret');
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
    const current = await lockSecret(trx, actor.orgId, input.id);
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
