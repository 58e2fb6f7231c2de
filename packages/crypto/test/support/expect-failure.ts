import { expect } from 'vitest';
import { CryptoError, type CryptoErrorCode } from '../../src/index';

/** Awaits a call that must fail with a CryptoError of one of `codes` (never a value); returns it. */
export async function failsWith(call: Promise<unknown>, ...codes: CryptoErrorCode[]): Promise<CryptoError> {
  const err = await call.then(
    (value) => {
      throw new Error(`expected a CryptoError, got a value: ${String(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CryptoError);
  expect(codes).toContain((err as CryptoError).code);
  return err as CryptoError;
}

/** Runs a factory that must throw INVALID_CONFIG; returns the error. */
export function refusedConfig(factory: () => unknown): CryptoError {
  try {
    factory();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe('INVALID_CONFIG');
    return err as CryptoError;
  }
  throw new Error('expected INVALID_CONFIG');
}
