import { z } from 'zod';

/** Input and output building blocks shared by the routers. */

export const id = z.uuid({ error: 'must be a UUID' });

/** The largest Postgres `integer`: a number past it would fail in the database, not here. */
export const INT32_MAX = 2_147_483_647;

export const HOSTILE_TEXT = 'must not contain NUL characters or unpaired UTF-16 surrogates';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when every surrogate is paired, i.e. the string has a UTF-8 form. */
export const isWellFormedText = (s: string) => !LONE_SURROGATE.test(s);

/** Text Postgres stores as given: no NUL (refused by text and jsonb) and no lone surrogate (not UTF-8). */
export const isStorableText = (s: string) => !s.includes('\0') && isWellFormedText(s);

/**
 * Every text field of every procedure's input is built here, so NUL characters and lone UTF-16
 * surrogates are BAD_REQUEST naming the field instead of a database error (a test walks the
 * router to hold every field to it). Trimmed unless `trim: false`; bounded by `max`.
 * @example const reason = text({ max: 500 }).optional();
 */
export const text = (options: { max: number; min?: number; trim?: boolean }) => {
  const checked = z.string().refine(isStorableText, { error: HOSTILE_TEXT, abort: true });
  const trimmed = options.trim === false ? checked : checked.trim();
  return trimmed.min(options.min ?? 0).max(options.max);
};

/** A name as users type it: trimmed; letters, digits, `_`, `-`, `.`; starts with a letter or digit. */
export const identifier = (max: number) =>
  text({ min: 1, max }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
    error: 'may contain only letters, digits, "_", "-" and "."; it must start with a letter or digit',
  });

/** A free-form display name: trimmed, bounded, no control characters. */
export const displayName = (max = 100) =>
  text({ min: 1, max }).regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' });

/** Free text: newlines and tabs allowed, other control characters not. */
export const description = text({ max: 1000 }).regex(/^(?:[^\p{Cc}]|[\n\t])*$/u, {
  error: 'must not contain control characters other than newline and tab',
});

export const pageLimit = z.number().int().min(1).max(200).default(50);
export const cursor = text({ min: 1, max: 200 });
/** A version number as stored (a Postgres integer). */
export const versionNumber = z.number().int().min(1).max(INT32_MAX);

/** ISO-8601 timestamps in outputs. */
export const timestamp = z.iso.datetime({ offset: true });
/**
 * A point in time in an input: ISO-8601 with an offset, within years 1 to 9999 once in UTC
 * (Postgres has no year 0, and PGlite fails on it instead of refusing it).
 */
export const instant = timestamp.refine(
  (v) => Date.parse(v) >= Date.parse('0001-01-01T00:00:00Z') && Date.parse(v) <= Date.parse('9999-12-31T23:59:59.999Z'),
  { error: 'must be between the years 1 and 9999' },
);
export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export const emptyInput = z.strictObject({}).optional();
