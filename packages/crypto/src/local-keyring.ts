import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { canonicalContext, type EncryptionContext } from './context';
import { decryptionFailed, invalidConfig, kekNotHeld } from './errors';
import { isKekId, IV_BYTES, KEY_BYTES, TAG_BYTES } from './format';
import type { DataKey, Keyring } from './keyring';

export interface LocalKeyringOptions {
  /** KEKs by id; each exactly 32 bytes. */
  keys: Record<string, Uint8Array>;
  primaryKeyId: string;
}

const WRAPPED_BYTES = IV_BYTES + KEY_BYTES + TAG_BYTES;

function wrapAad(keyId: string, kmsContext: EncryptionContext): Buffer {
  return Buffer.concat([Buffer.from(`strongroom/local-wrap/v1\0${keyId}\0`, 'utf8'), canonicalContext(kmsContext)]);
}

/**
 * KEKs held in process memory (from a key file), wrapping data keys with AES-256-GCM whose AAD is
 * the KEK id and the KMS context — the embedded default, and what tests use.
 * @example const keyring = createLocalKeyring({ keys: { k1: randomBytes(32) }, primaryKeyId: 'k1' });
 */
export function createLocalKeyring(options: LocalKeyringOptions): Keyring {
  if (typeof options !== 'object' || options === null)
    throw invalidConfig('Expected options with `keys` and `primaryKeyId`');
  const entries = Object.entries(options.keys ?? {});
  // Precondition: a local keyring holds at least one KEK.
  if (entries.length === 0) throw invalidConfig('Expected `keys` to hold at least one KEK');
  const keys = new Map<string, Buffer>();
  for (const [id, key] of entries) {
    // Precondition: KEK ids are 1 to 255 bytes (they are written into every envelope).
    if (!isKekId(id)) throw invalidConfig('Expected each KEK id to be 1 to 255 bytes');
    // Precondition: every KEK is exactly 32 bytes (anything else is a configuration mistake, not a key).
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
      throw invalidConfig(`Expected KEK \`${id}\` to be exactly ${KEY_BYTES} bytes`);
    }
    keys.set(id, Buffer.from(key));
  }
  // Precondition: primaryKeyId names one of the keys.
  if (!keys.has(options.primaryKeyId)) throw invalidConfig('Expected `primaryKeyId` to name one of `keys`');

  const wrap = (keyId: string, plaintext: Uint8Array, kmsContext: EncryptionContext): Uint8Array => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', keys.get(keyId)!, iv).setAAD(wrapAad(keyId, kmsContext));
    return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  };

  const unwrap = async (keyId: string, wrapped: Uint8Array, kmsContext: EncryptionContext) => {
    const kek = keys.get(keyId);
    // A KEK id we do not hold is a key not distributed here yet (e.g. mid-rotation), not tampering.
    if (!kek) throw kekNotHeld(keyId);
    if (wrapped.length !== WRAPPED_BYTES) throw decryptionFailed();
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, IV_BYTES)).setAAD(
        wrapAad(keyId, kmsContext),
      );
      decipher.setAuthTag(wrapped.subarray(IV_BYTES + KEY_BYTES));
      return new Uint8Array(
        Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, IV_BYTES + KEY_BYTES)), decipher.final()]),
      );
    } catch (err) {
      throw decryptionFailed(err);
    }
  };

  return Object.freeze({
    kind: 'local' as const,
    primaryKeyId: options.primaryKeyId,
    async generateDataKey(kmsContext: EncryptionContext): Promise<DataKey> {
      const plaintext = new Uint8Array(randomBytes(KEY_BYTES));
      return { keyId: options.primaryKeyId, plaintext, wrapped: wrap(options.primaryKeyId, plaintext, kmsContext) };
    },
    unwrap,
    async rewrap(keyId: string, wrapped: Uint8Array, kmsContext: EncryptionContext, toKeyId: string) {
      // Precondition: a local rewrap targets a KEK the keyring holds.
      if (!keys.has(toKeyId)) throw invalidConfig(`Unknown KEK \`${toKeyId}\``);
      const plaintext = await unwrap(keyId, wrapped, kmsContext);
      try {
        return { keyId: toKeyId, wrapped: wrap(toKeyId, plaintext, kmsContext) };
      } finally {
        plaintext.fill(0);
      }
    },
    async check() {},
    async canonicalKeyId(keyId: string) {
      if (!keys.has(keyId))
        throw invalidConfig(`Unknown KEK \`${keyId}\`; the local keyring holds ${[...keys.keys()].join(', ')}`);
      return keyId;
    },
  });
}
