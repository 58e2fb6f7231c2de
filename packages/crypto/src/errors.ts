/** Stable codes a caller can branch on. */
export type CryptoErrorCode = 'DECRYPTION_FAILED' | 'KEY_UNAVAILABLE' | 'INVALID_INPUT' | 'INVALID_CONFIG';

/**
 * Every failure of this package. `KEY_UNAVAILABLE` is worth retrying later; `DECRYPTION_FAILED`
 * never is (tampered bytes, wrong context or wrong key) and always carries the same message.
 * @example if (err instanceof CryptoError && err.code === 'KEY_UNAVAILABLE') retryLater();
 */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The one message for every decryption failure, so nothing leaks through its wording. */
export const decryptionFailed = (cause?: unknown) =>
  new CryptoError('DECRYPTION_FAILED', 'Decryption failed: the data was altered or the context or key does not match', {
    cause,
  });

export const keyUnavailable = (message: string, cause?: unknown) =>
  new CryptoError('KEY_UNAVAILABLE', message, { cause });
export const invalidInput = (message: string) => new CryptoError('INVALID_INPUT', message);
export const invalidConfig = (message: string) => new CryptoError('INVALID_CONFIG', message);
