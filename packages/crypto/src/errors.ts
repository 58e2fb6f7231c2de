/** Stable codes a caller can branch on. */
export type CryptoErrorCode = 'DECRYPTION_FAILED' | 'KEY_UNAVAILABLE' | 'INVALID_INPUT' | 'INVALID_CONFIG';

/**
 * Every failure of this package. `KEY_UNAVAILABLE` is worth retrying later; `DECRYPTION_FAILED`
 * never is (tampered bytes, wrong context or wrong key) and always carries the same message.
 * @example if (err instanceof CryptoError && err.code === 'KEY_UNAVAILABLE') retryLater();
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  /** The KEK a `KEY_UNAVAILABLE` error is about, when it is about one the keyring does not hold. */
  readonly keyId: string | undefined;
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown; keyId?: string },
  ) {
    super(message, options);
    this.keyId = options?.keyId;
  }
}

/** The one message for every decryption failure, so nothing leaks through its wording. */
export const decryptionFailed = (cause?: unknown) =>
  new CryptoError('DECRYPTION_FAILED', 'Decryption failed: the data was altered or the context or key does not match', {
    cause,
  });

export const keyUnavailable = (message: string, cause?: unknown) =>
  new CryptoError('KEY_UNAVAILABLE', message, { cause });
/** An envelope names a KEK this keyring does not hold (yet): retryable once the key is distributed. */
export const kekNotHeld = (keyId: string) =>
  new CryptoError('KEY_UNAVAILABLE', `KEK \`${keyId}\` is not held by this keyring`, { keyId });
export const invalidInput = (message: string) => new CryptoError('INVALID_INPUT', message);
export const invalidConfig = (message: string) => new CryptoError('INVALID_CONFIG', message);
