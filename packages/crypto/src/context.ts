import { invalidInput } from './errors';

/** An encryption context: string pairs that are authenticated, not secret. */
export type EncryptionContext = Readonly<Record<string, string>>;

/**
 * Canonical bytes of a context: keys sorted by code unit, then count (u16), and for each pair
 * key length (u16), key, value length (u32), value, all UTF-8. Length prefixes make it
 * unambiguous: `{ a: 'b,c' }` and `{ a: 'b', c: '' }` encode differently. `prefix` is written
 * first, in the same buffer (the hot path builds its AAD this way, with one allocation).
 * @example canonicalContext({ org_id: 'o1', version: '2' }) // <00 02 00 06 'org_id' 00 00 00 02 'o1' …>
 */
export function canonicalContext(context: EncryptionContext, prefix = ''): Buffer {
  // Precondition: a context is an object of string values.
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw invalidInput('Expected `context` to be an object of string values');
  }
  const keys = Object.keys(context).sort();
  // Precondition: a context has at most 65535 pairs.
  if (keys.length > 0xffff) throw invalidInput('Expected `context` to have at most 65535 keys');
  // Built as a latin1 string (one char per byte) and converted once: for ASCII text, the common
  // case, each char is one UTF-8 byte. Anything else takes the byte-exact path below.
  let text = prefix + u16(keys.length);
  for (const key of keys) {
    const value = context[key];
    // Precondition: context keys are non-empty and values are strings.
    if (key === '' || typeof value !== 'string')
      throw invalidInput('Expected `context` to map non-empty keys to strings');
    // Precondition: each context key is at most 65535 bytes (UTF-16 units never outnumber UTF-8 bytes).
    if (key.length > 0xffff) throw tooLongKey();
    text += u16(key.length) + key + u32(value.length) + value;
  }
  return ASCII.test(text) || !hasNonAsciiText(keys, context)
    ? Buffer.from(text, 'latin1')
    : utf8Canonical(keys, context, prefix);
}

// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL on purpose
const ASCII = /^[\x00-\x7f]*$/;
/** In unicode mode a surrogate pair is one code point, so this matches only unpaired halves. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const u16 = (n: number) => String.fromCharCode(n >>> 8, n & 0xff);
const u32 = (n: number) => String.fromCharCode(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
/** Length prefixes may hold bytes above 0x7f; only the keys and values decide the path. */
const hasNonAsciiText = (keys: string[], context: EncryptionContext) =>
  keys.some((k) => !ASCII.test(k) || !ASCII.test(context[k]!));

function utf8Canonical(keys: string[], context: EncryptionContext, prefix: string): Buffer {
  const parts: Buffer[] = [Buffer.from(prefix + u16(keys.length), 'latin1')];
  for (const key of keys) {
    const value = context[key]!;
    // Precondition: context text is well-formed UTF-16: UTF-8 would turn every unpaired surrogate
    // into U+FFFD, and two different contexts would share one encoding.
    if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(value)) {
      throw invalidInput('Expected context keys and values to be well-formed Unicode text');
    }
    const k = Buffer.from(key, 'utf8');
    const v = Buffer.from(value, 'utf8');
    if (k.length > 0xffff) throw tooLongKey();
    parts.push(Buffer.from(u16(k.length), 'latin1'), k, Buffer.from(u32(v.length), 'latin1'), v);
  }
  return Buffer.concat(parts);
}

const tooLongKey = () => invalidInput('Expected each context key to be at most 65535 bytes');

/** An unambiguous string for a context, for cache keys (not authenticated, so not bytes). */
export function contextKey(context: EncryptionContext): string {
  return JSON.stringify(
    Object.keys(context)
      .sort()
      .map((k) => [k, context[k]]),
  );
}

/** The pairs of `context` whose keys are listed (all of them when `keys` is undefined). */
export function pickContext(context: EncryptionContext, keys: readonly string[] | undefined): EncryptionContext {
  if (!keys) return context;
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = context[key];
    // Precondition: the context holds every key in `kmsContextKeys`.
    if (value === undefined) throw missingKey(key);
    picked[key] = value;
  }
  return picked;
}

export const missingKey = (key: string) => invalidInput(`Expected \`context\` to contain \`${key}\``);
