import { invalidInput } from './errors';

/** An encryption context: string pairs that are authenticated, not secret. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** Checks a context's shape; every key a non-empty string, every value a string. */
export function assertContext(context: unknown, label = 'context'): asserts context is EncryptionContext {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw invalidInput(`Expected \`${label}\` to be an object of string values`);
  }
  for (const [key, value] of Object.entries(context)) {
    if (key === '' || typeof value !== 'string') {
      throw invalidInput(`Expected \`${label}\` to map non-empty keys to strings`);
    }
  }
}

/**
 * Canonical bytes of a context: keys sorted by code unit, then count (u16), and for each pair
 * key length (u16), key, value length (u32), value, all UTF-8. Length prefixes make it
 * unambiguous: `{ a: 'b,c' }` and `{ a: 'b', c: '' }` encode differently.
 */
export function canonicalContext(context: EncryptionContext): Buffer {
  const keys = Object.keys(context).sort();
  if (keys.length > 0xffff) throw invalidInput('Expected `context` to have at most 65535 keys');
  const parts: Buffer[] = [u16(keys.length)];
  for (const key of keys) {
    const k = Buffer.from(key, 'utf8');
    const v = Buffer.from(context[key]!, 'utf8');
    if (k.length > 0xffff) throw invalidInput('Expected each context key to be at most 65535 bytes');
    parts.push(u16(k.length), k, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** The pairs of `context` whose keys are listed (all of them when `keys` is undefined). */
export function pickContext(context: EncryptionContext, keys: readonly string[] | undefined): EncryptionContext {
  if (!keys) return context;
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = context[key];
    if (value === undefined) throw invalidInput(`Expected \`context\` to contain \`${key}\``);
    picked[key] = value;
  }
  return picked;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
