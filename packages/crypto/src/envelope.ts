import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type CacheOptions, DataKeyCache } from './cache';
import { contextKey, type EncryptionContext, missingKey, pickContext } from './context';
import { decryptionFailed, invalidConfig, invalidInput, keyUnavailable } from './errors';
import { assemble, envelopeHeader, fitsEnvelope, isKekId, KEY_BYTES, parse, randomIv, valueAad } from './format';
import type { Keyring } from './keyring';

export interface EnvelopeOptions {
  keyring: Keyring;
  /** Data-key cache limits, or `false` for a keyring call per seal and per open. */
  cache?: CacheOptions | false;
  /** Context keys sent to the keyring as KMS EncryptionContext (default: all of them). */
  kmsContextKeys?: readonly string[];
}

export interface EnvelopeStats {
  /** Calls made to the keyring (KMS requests for a KMS keyring). */
  kmsCalls: number;
  cacheHits: number;
  cacheMisses: number;
}

/** A sealed value and the KEK id its data key is wrapped under (what a row stores beside it). */
export interface Sealed {
  sealed: Uint8Array;
  keyId: string;
}

export interface Envelope {
  seal(plaintext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  /** `seal`, also answering the KEK id, so a caller need not parse the envelope it just got. */
  sealWithKeyId(plaintext: Uint8Array, context: EncryptionContext): Promise<Sealed>;
  open(sealed: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  /** The same value under another KEK: only the wrapped data key changes. */
  rewrap(sealed: Uint8Array, context: EncryptionContext, toKeyId?: string): Promise<Uint8Array>;
  /** The KEK id recorded in a sealed value. */
  keyIdOf(sealed: Uint8Array): string;
  stats(): EnvelopeStats;
}

/** What the encrypt side caches with a data key: its envelope header (KEK id and wrapped key). */
interface EncryptKey {
  header: Buffer;
  keyId: string;
}

const MAX_PLAINTEXT_BYTES = 64 * 1024 * 1024;
const REWRAP_MEMO_ENTRIES = 10_000;

const isDataKey = (key: unknown): key is Uint8Array => key instanceof Uint8Array && key.length === KEY_BYTES;
function malformedKey(plaintext?: unknown) {
  if (plaintext instanceof Uint8Array) plaintext.fill(0);
  return keyUnavailable('The keyring returned a malformed data key');
}

/**
 * Envelope encryption: AES-256-GCM under a data key that the keyring wraps. The whole context is
 * authenticated as GCM additional data; only `kmsContextKeys` reach the keyring and partition the
 * cache, so one data key may seal many values that share them (e.g. one org).
 * @example
 * const envelope = createEnvelope({ keyring, cache: { maxAgeMs: 300_000 }, kmsContextKeys: ['org_id'] });
 * const sealed = await envelope.seal(bytes, { org_id, secret_id, version: '1' });
 */
export function createEnvelope(options: EnvelopeOptions): Envelope {
  const { keyring } = options ?? {};
  // Precondition: createEnvelope needs a keyring.
  if (!keyring || typeof keyring.generateDataKey !== 'function')
    throw invalidConfig('Expected `keyring` to be a Keyring');
  const kmsKeys = options.kmsContextKeys;
  // Precondition: kmsContextKeys are non-empty strings.
  if (kmsKeys && !(Array.isArray(options.kmsContextKeys) && kmsKeys.every((k) => typeof k === 'string' && k !== ''))) {
    throw invalidConfig('Expected `kmsContextKeys` to be non-empty strings');
  }
  const encryptCache = options.cache ? new DataKeyCache<EncryptKey>(options.cache) : undefined;
  const decryptCache = options.cache ? new DataKeyCache<null>(options.cache) : undefined;
  const counters: EnvelopeStats = { kmsCalls: 0, cacheHits: 0, cacheMisses: 0 };
  /** Wrapped data keys already moved to another KEK (ciphertext only, so safe to keep). */
  const rewrapMemo = new Map<string, Promise<{ keyId: string; wrapped: Uint8Array }>>();

  const count = (hit: boolean) => {
    if (hit) counters.cacheHits++;
    else counters.cacheMisses++;
  };

  /** Keyring calls, counted, with their results checked: keyrings are pluggable, the format is not. */
  const keyringCall = {
    async generate(kmsContext: EncryptionContext) {
      counters.kmsCalls++;
      const key = await keyring.generateDataKey(kmsContext);
      // Postcondition: a generated data key is 32 bytes and its wrapping fits the envelope.
      if (!isDataKey(key?.plaintext) || !fitsEnvelope(key.keyId, key.wrapped)) throw malformedKey(key?.plaintext);
      return key;
    },
    async unwrap(keyId: string, wrapped: Uint8Array, kmsContext: EncryptionContext) {
      counters.kmsCalls++;
      const plaintext = await keyring.unwrap(keyId, wrapped, kmsContext);
      // Postcondition: an unwrapped data key is 32 bytes.
      if (!isDataKey(plaintext)) throw malformedKey(plaintext);
      return plaintext;
    },
    async rewrap(keyId: string, wrapped: Uint8Array, kmsContext: EncryptionContext, toKeyId: string) {
      counters.kmsCalls++;
      const moved = await keyring.rewrap(keyId, wrapped, kmsContext, toKeyId);
      // Postcondition: a re-wrapped data key fits the envelope.
      if (!fitsEnvelope(moved?.keyId, moved?.wrapped)) throw malformedKey();
      return moved;
    },
  };

  /**
   * Cache keys are plain strings, each part self-delimiting so that no two inputs share one: the
   * KMS context (length-prefixed values when the keys are fixed), then on the encrypt side the
   * primary KEK, on the decrypt side the envelope header (length-prefixed KEK id and wrapped key).
   * Computing them is most of a cache hit's cost.
   */
  const kmsKeyOf = (context: EncryptionContext): string => {
    if (!kmsKeys) return contextKey(context);
    let key = '';
    for (const name of kmsKeys) {
      const value = context[name];
      if (typeof value !== 'string') throw missingKey(name);
      key += `${value.length}:${value}`;
    }
    return key;
  };
  const encryptKeyOf = (kmsKey: string) => `${kmsKey}\0${keyring.primaryKeyId}`;
  const decryptKeyOf = (kmsKey: string, header: Uint8Array) =>
    `${kmsKey}\0${Buffer.from(header.buffer, header.byteOffset, header.length).toString('latin1')}`;

  /** A cache hit counts and returns at once, with no await, so the warm path stays short. */
  function cached<T>(cache: DataKeyCache<T> | undefined, key: string) {
    const hit = cache?.hit(key);
    if (hit) counters.cacheHits++;
    return hit;
  }

  async function newEncryptKey(context: EncryptionContext, kmsKey: string) {
    const kmsContext = pickContext(context, kmsKeys);
    const fetch = async () => {
      const key = await keyringCall.generate(kmsContext);
      const header = envelopeHeader(key.keyId, key.wrapped);
      // The seal side's key opens what it sealed: seed the decrypt side with a copy.
      decryptCache?.put(decryptKeyOf(kmsKey, header), null, new Uint8Array(key.plaintext));
      return { value: { header, keyId: key.keyId }, plaintext: key.plaintext };
    };
    if (!encryptCache) return fetch();
    const got = await encryptCache.use(encryptKeyOf(kmsKey), fetch);
    count(got.hit);
    return got;
  }

  async function unwrapKey(keyId: string, wrapped: Uint8Array, context: EncryptionContext, cacheKey: string) {
    const kmsContext = pickContext(context, kmsKeys);
    const fetch = async () => ({ value: null, plaintext: await keyringCall.unwrap(keyId, wrapped, kmsContext) });
    if (!decryptCache) return (await fetch()).plaintext;
    const got = await decryptCache.use(cacheKey, fetch);
    count(got.hit);
    return got.plaintext;
  }

  /** Byte inputs are checked here; the context is checked by `valueAad`, before any key is used. */
  function checkBytes(bytes: unknown, label: string): asserts bytes is Uint8Array {
    // Precondition: plaintext and sealed values are Uint8Arrays.
    if (!(bytes instanceof Uint8Array)) throw invalidInput(`Expected \`${label}\` to be a Uint8Array`);
  }

  async function sealWithKeyId(plaintext: Uint8Array, context: EncryptionContext): Promise<Sealed> {
    checkBytes(plaintext, 'plaintext');
    // Precondition: plaintext is at most 64 MiB.
    if (plaintext.length > MAX_PLAINTEXT_BYTES) throw invalidInput('Expected `plaintext` to be at most 64 MiB');
    const aad = valueAad(context);
    const kmsKey = kmsKeyOf(context);
    // A hit lends the cache's key for this synchronous stretch; a miss hands us a copy to wipe.
    const hit = cached(encryptCache, encryptKeyOf(kmsKey));
    const { value: key, plaintext: dataKey } = hit ?? (await newEncryptKey(context, kmsKey));
    try {
      const iv = randomIv();
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv).setAAD(aad);
      // GCM is a stream mode: update() returns all of the ciphertext and final() nothing.
      const ciphertext = cipher.update(plaintext);
      cipher.final();
      return { sealed: assemble(key.header, iv, ciphertext, cipher.getAuthTag()), keyId: key.keyId };
    } finally {
      if (!hit) dataKey.fill(0);
    }
  }

  async function open(sealed: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    checkBytes(sealed, 'sealed');
    const aad = valueAad(context);
    const parts = parse(sealed);
    const cacheKey = decryptKeyOf(kmsKeyOf(context), parts.header);
    const hit = cached(decryptCache, cacheKey);
    const dataKey = hit?.plaintext ?? (await unwrapKey(parts.keyId, parts.wrappedKey, context, cacheKey));
    let plaintext: Buffer | undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, parts.iv).setAAD(aad);
      decipher.setAuthTag(parts.tag);
      plaintext = decipher.update(parts.ciphertext);
      decipher.final(); // checks the tag; until it has, `plaintext` is unauthenticated
      return plaintext;
    } catch (err) {
      plaintext?.fill(0);
      throw decryptionFailed(err);
    } finally {
      if (!hit) dataKey.fill(0);
    }
  }

  async function rewrap(
    sealed: Uint8Array,
    context: EncryptionContext,
    toKeyId = keyring.primaryKeyId,
  ): Promise<Uint8Array> {
    checkBytes(sealed, 'sealed');
    valueAad(context);
    // Precondition: rewrap names a KEK id of 1 to 255 bytes.
    if (!isKekId(toKeyId)) throw invalidInput('Expected `toKeyId` to be a KEK id of 1 to 255 bytes');
    const parts = parse(sealed);
    if (parts.keyId === toKeyId) return sealed;
    // Values sealed under one cached data key share its wrapped form: re-wrap it once.
    const memoKey = `${decryptKeyOf(kmsKeyOf(context), parts.header)}\0${toKeyId}`;
    let pending = rewrapMemo.get(memoKey);
    if (!pending) {
      const kmsContext = pickContext(context, kmsKeys);
      pending = keyringCall.rewrap(parts.keyId, parts.wrappedKey, kmsContext, toKeyId);
      if (rewrapMemo.size >= REWRAP_MEMO_ENTRIES) rewrapMemo.clear();
      rewrapMemo.set(memoKey, pending);
      pending.catch(() => rewrapMemo.delete(memoKey));
    }
    const moved = await pending;
    const rewrapped = assemble(envelopeHeader(moved.keyId, moved.wrapped), parts.iv, parts.ciphertext, parts.tag);
    // Postcondition: a rewrapped value opens before anyone stores it.
    (await open(rewrapped, context)).fill(0);
    return rewrapped;
  }

  return Object.freeze({
    seal: async (plaintext: Uint8Array, context: EncryptionContext) => (await sealWithKeyId(plaintext, context)).sealed,
    sealWithKeyId,
    open,
    rewrap,
    keyIdOf: (sealed: Uint8Array) => parse(sealed).keyId,
    stats: () => ({ ...counters }),
  });
}
