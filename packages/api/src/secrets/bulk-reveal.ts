import type { z } from 'zod';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { AppError } from '../core/errors';
import { consumeRateLimit } from '../core/rate-limit';
import { dotenvValue, toDotenv } from './dotenv';
import type { exportInput, runEnvInput } from './schemas';
import { listSecretRows, openSecret } from './store';

/** One export or run reveals at most this many values; a larger namespace is refused whole. */
export const MAX_BULK_REVEAL = 1000;
export const EXPORT_WINDOW_MS = 60_000;

/** Per person, like the reveal limit, and separate from it: one export is many values at once. */
export const exportLimitKey = (userId: string) => `export:user:${userId}`;

/** Why a secret of the namespace was left out; its value never leaves the server. */
export type SkipReason = 'WRITE_ONLY' | 'UNSEALED' | 'NOT_DOTENV_SAFE' | 'NOT_ENV_SAFE';

type Purpose = { action: 'secret.export' } | { action: 'secret.run'; command: string };

/** What each purpose cannot carry: a `.env` file only what dotenv reads back, an environment no NUL. */
const unfit: Record<Purpose['action'], (value: string) => SkipReason | undefined> = {
  'secret.export': (value) => (dotenvValue(value) === undefined ? 'NOT_DOTENV_SAFE' : undefined),
  'secret.run': (value) => (value.includes('\0') ? 'NOT_ENV_SAFE' : undefined),
};

/**
 * Every value of a namespace for its admin, for one purpose, audited as one row that names each
 * secret that leaves (and each left out), never a value. Counts against the export rate limit.
 */
async function revealNamespace(call: Call, namespace: string, purpose: Purpose) {
  const { deps, actor } = call;
  await consumeRateLimit(deps.db, exportLimitKey(actor.userId), deps.config.exportRateLimit, EXPORT_WINDOW_MS);
  const rows = await listSecretRows(deps.db, actor.orgId, { namespace, limit: MAX_BULK_REVEAL + 1 });
  if (rows.length > MAX_BULK_REVEAL) {
    throw new AppError('BAD_REQUEST', `Namespace "${namespace}" holds more than ${MAX_BULK_REVEAL} secrets`, {
      field: 'namespace',
      reason: 'TOO_MANY_SECRETS',
    });
  }
  const opened = await Promise.all(
    rows.map(async (row) => {
      const meta = { id: row.id, name: row.name, version: row.version };
      // A write-only secret is never opened here: only the runtime may use its value.
      if (!row.revealable) return { ...meta, value: undefined, reason: 'WRITE_ONLY' as const };
      if (!row.value) return { ...meta, value: undefined, reason: 'UNSEALED' as const };
      const value = await openSecret(deps, { orgId: actor.orgId, secretId: row.id, version: row.version }, row.value);
      return { ...meta, value, reason: unfit[purpose.action](value) };
    }),
  );
  const entries = opened.flatMap(({ reason, value, ...meta }) =>
    reason === undefined && value !== undefined ? [{ ...meta, value }] : [],
  );
  const skipped = opened.flatMap(({ id, name, reason }) => (reason ? [{ id, name, reason }] : []));
  const { action, ...rest } = purpose;
  // The values leave only once this row has committed.
  await deps.accessLog.record(auditActor(actor, call.requestId), {
    action,
    targetType: 'namespace',
    targetId: namespace,
    metadata: {
      namespace,
      ...rest,
      secrets: entries.map(({ id, name, version }) => ({ id, name, version })),
      skipped,
    },
  });
  return { namespace, entries, skipped };
}

/** `secrets.export`: the namespace as entries and as a `.env` file. */
export async function exportNamespace(call: Call, input: z.output<typeof exportInput>) {
  const revealed = await revealNamespace(call, input.namespace, { action: 'secret.export' });
  return { ...revealed, dotenv: toDotenv(revealed.entries) };
}

/** `secrets.runEnv`: the namespace's values for `strongroom run`, audited with the command's name. */
export function runEnv(call: Call, input: z.output<typeof runEnvInput>) {
  return revealNamespace(call, input.namespace, { action: 'secret.run', command: input.command });
}
