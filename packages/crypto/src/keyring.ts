import type { EncryptionContext } from './context';

/** A data key as a keyring hands it out: the plaintext for use, the wrapped form for storage. */
export interface DataKey {
  readonly keyId: string;
  readonly plaintext: Uint8Array;
  readonly wrapped: Uint8Array;
}

/**
 * Wraps and unwraps data keys under key-encryption keys (KEKs) it holds or reaches. Plaintext
 * KEKs never leave it. `kmsContext` is authenticated with the wrapped key.
 */
export interface Keyring {
  readonly kind: 'local' | 'kms';
  /** The KEK new data keys are wrapped under. */
  readonly primaryKeyId: string;
  generateDataKey(kmsContext: EncryptionContext): Promise<DataKey>;
  unwrap(keyId: string, wrapped: Uint8Array, kmsContext: EncryptionContext): Promise<Uint8Array>;
  /** Re-wraps a data key under `toKeyId` without exposing it to the caller. */
  rewrap(
    keyId: string,
    wrapped: Uint8Array,
    kmsContext: EncryptionContext,
    toKeyId: string,
  ): Promise<{ keyId: string; wrapped: Uint8Array }>;
  /** Resolves when the keyring can serve requests (KMS reachable, key enabled). */
  check(): Promise<void>;
  /**
   * The id envelopes record for a KEK (a KMS alias or key id becomes its ARN); rejects with
   * INVALID_CONFIG for a key the keyring cannot use.
   */
  canonicalKeyId(keyId: string): Promise<string>;
}
