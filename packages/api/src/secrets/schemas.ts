import { z } from 'zod';
import {
  cursor,
  description,
  id,
  identifier,
  isWellFormedText,
  pageLimit,
  text,
  timestamp,
  versionNumber,
} from '../core/schemas';

/**
 * Values are opaque strings of at most 64 KiB (UTF-8), never trimmed. They may hold NUL (they are
 * sealed, never stored as text) but not a lone surrogate, which UTF-8 cannot carry: the value
 * would come back different from what was stored.
 */
export const MAX_VALUE_BYTES = 64 * 1024;

export const secretName = identifier(128);
export const namespace = identifier(64);
export const scope = z.enum(['org', 'agent']);
export const secretValue = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine(isWellFormedText, { error: 'must not contain unpaired UTF-16 surrogates', abort: true })
  .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_VALUE_BYTES, {
    error: `must be at most ${MAX_VALUE_BYTES} bytes`,
  });

export const listSecretsInput = z
  .strictObject({
    namespace: namespace.optional(),
    scope: scope.optional(),
    search: text({ max: 128 }).optional(),
    cursor: cursor.optional(),
    limit: pageLimit,
  })
  .prefault({});

export const createSecretInput = z.strictObject({
  name: secretName,
  value: secretValue,
  scope,
  namespace: namespace.default('default'),
  description: description.default(''),
});

export const updateSecretInput = z.strictObject({
  id,
  value: secretValue.optional(),
  name: secretName.optional(),
  description: description.optional(),
  expectedVersion: versionNumber.optional(),
});

export const revealInput = z.strictObject({ id, reason: text({ max: 500 }).optional() });
export const rollbackInput = z.strictObject({ id, toVersion: versionNumber });
export const optionsInput = z.strictObject({ scope: scope.optional() }).prefault({});

export const usedBy = z.strictObject({ type: z.enum(['provider', 'mcpServer']), id, name: z.string() });

/** The whitelist of what a secret may show: there is no value field, masked or otherwise. */
export const secretMeta = z.strictObject({
  id,
  orgId: id,
  name: z.string(),
  namespace: z.string(),
  scope,
  description: z.string(),
  version: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
  rotatedAt: timestamp.nullable(),
  createdBy: id.nullable(),
  usedBy: z.array(usedBy),
});

export type SecretMeta = z.infer<typeof secretMeta>;
export type UsedBy = z.infer<typeof usedBy>;
