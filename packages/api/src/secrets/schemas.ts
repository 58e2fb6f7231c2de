import { z } from 'zod';
import {
  cursor,
  description,
  HOSTILE_TEXT,
  id,
  identifier,
  isStorableText,
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

/** A rotation reminder in days (null: none); about ten years at most. */
export const rotationPeriodDays = z.number().int().min(1).max(3650).nullable();

export const listSecretsInput = z
  .strictObject({
    namespace: namespace.optional(),
    scope: scope.optional(),
    search: text({ max: 128 }).optional(),
    /** Only secrets whose current version is older than their rotation period. */
    rotationDue: z.boolean().optional(),
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
  /** False creates it write-only: never revealed or exported, and that can't be undone. */
  revealable: z.boolean().default(true),
  rotationPeriodDays: rotationPeriodDays.default(null),
});

export const updateSecretInput = z.strictObject({
  id,
  value: secretValue.optional(),
  name: secretName.optional(),
  description: description.optional(),
  expectedVersion: versionNumber.optional(),
  /** Only `false` changes anything: a write-only secret never becomes revealable again (CONFLICT). */
  revealable: z.boolean().optional(),
  rotationPeriodDays: rotationPeriodDays.optional(),
});

export const revealInput = z.strictObject({ id, reason: text({ max: 500 }).optional() });
export const rollbackInput = z.strictObject({ id, toVersion: versionNumber });
export const optionsInput = z.strictObject({ scope: scope.optional() }).prefault({});

export const exportInput = z.strictObject({ namespace: namespace.default('default') });
/** The program `strongroom run` starts, by name only: its path and arguments may hold secrets. */
export const runEnvInput = z.strictObject({
  namespace: namespace.default('default'),
  command: text({ max: 255 }).regex(/^[^/\\]+$/, { error: "must be the program's name only, without a path" }),
});

const revealedEntry = z.strictObject({ id, name: z.string(), version: z.number().int(), value: z.string() });
const skippedEntry = z.strictObject({
  id,
  name: z.string(),
  reason: z.enum(['WRITE_ONLY', 'UNSEALED', 'NOT_DOTENV_SAFE', 'NOT_ENV_SAFE']),
});
export const runEnvOutput = z.strictObject({
  namespace: z.string(),
  entries: z.array(revealedEntry),
  skipped: z.array(skippedEntry),
});
export const exportOutput = runEnvOutput.extend({ dotenv: z.string() });

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
  /** False: write-only, never revealed or exported. */
  revealable: z.boolean(),
  rotationPeriodDays: z.number().int().nullable(),
  /** The current version is older than the rotation period: a reminder, nothing expires. */
  rotationDue: z.boolean(),
});

/** Bounds of one import: a .env file or JSON object of at most this many bytes (UTF-8) and entries. */
export const MAX_IMPORT_BYTES = 512 * 1024;
export const MAX_IMPORT_ENTRIES = 1000;

export const importFormat = z.enum(['dotenv', 'json']);
export const importStatus = z.enum(['created', 'updated', 'unchanged', 'skipped', 'conflict']);

export const importInput = z.strictObject({
  namespace: namespace.default('default'),
  /** The scope of the secrets the import creates; existing ones keep theirs. */
  scope,
  format: importFormat,
  /**
   * Text as `text()` takes it (no NUL: JSON can still carry one in a value as \u0000), untrimmed
   * and bounded in bytes rather than characters, with one clear message.
   */
  content: z
    .string()
    .refine(isStorableText, { error: HOSTILE_TEXT, abort: true })
    .min(1, { error: 'must not be empty' })
    .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_IMPORT_BYTES, {
      error: `must be at most ${MAX_IMPORT_BYTES / 1024} KiB`,
    }),
  /** What to do with a name that exists with a different value: keep it, overwrite it, or refuse the import. */
  onConflict: z.enum(['skip', 'update', 'fail']).default('fail'),
  /** Answer what would happen and write nothing: the preview. */
  dryRun: z.boolean().default(false),
});

export const importOutput = z.strictObject({
  /** False for a dry run: nothing was written. */
  applied: z.boolean(),
  results: z.array(z.strictObject({ name: z.string(), status: importStatus })),
});

export type ImportFormat = z.infer<typeof importFormat>;
export type ImportStatus = z.infer<typeof importStatus>;

export type SecretMeta = z.infer<typeof secretMeta>;
export type UsedBy = z.infer<typeof usedBy>;
