import { describe, expect, it } from 'vitest';
import { createEnvelope, createLocalKeyring, CryptoError } from '../src/index';
import vectors from './vectors.json';

/** Known-answer vectors checked in as JSON: the format stays readable across versions of the code. */
const envelope = createEnvelope({
  keyring: createLocalKeyring({ keys: { [vectors.kek.id]: Buffer.from(vectors.kek.key, 'base64') }, primaryKeyId: vectors.kek.id }),
  cache: false,
  kmsContextKeys: vectors.kmsContextKeys,
});

describe('known-answer vectors', () => {
  it.each(vectors.positive)('opens: $name', async (v) => {
    const plain = await envelope.open(Buffer.from(v.sealed, 'base64'), v.context as Record<string, string>);
    expect(Buffer.from(plain).toString('utf8')).toBe(v.plaintext);
  });

  it.each(vectors.negative)('refuses: $name → $error', async (v) => {
    const err = await envelope.open(Buffer.from(v.sealed, 'base64'), v.context as Record<string, string>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe(v.error);
  });
});
