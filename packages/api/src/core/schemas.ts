import { z } from 'zod';

/** Input and output building blocks shared by the routers. */

export const id = z.uuid({ error: 'must be a UUID' });

/** A name as users type it: trimmed; letters, digits, `_`, `-`, `.`; starts with a letter or digit. */
export const identifier = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
      error: 'may contain only letters, digits, "_", "-" and "."; it must start with a letter or digit',
    });

/** A free-form display name: trimmed, bounded, no control characters. */
export const displayName = (max = 100) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' });

/** Free text: newlines and tabs allowed, other control characters not. */
export const description = z
  .string()
  .trim()
  .max(1000)
  .regex(/^(?:[^\p{Cc}]|[\n\t])*$/u, { error: 'must not contain control characters other than newline and tab' });

export const pageLimit = z.number().int().min(1).max(200).default(50);
export const cursor = z.string().trim().min(1).max(200);

/** ISO-8601 timestamps in outputs. */
export const timestamp = z.iso.datetime({ offset: true });
export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export const emptyInput = z.strictObject({}).optional();
