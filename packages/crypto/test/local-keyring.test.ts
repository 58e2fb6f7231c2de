import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLocalKeyring, CryptoError } from '../src/index';

const invalidConfig = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe('INVALID_CONFIG');
    return;
  }
  throw new Error('expected INVALID_CONFIG');
};

describe('createLocalKeyring preconditions', () => {
  it.each([0, 16, 31, 33, 64])('a KEK of %i bytes is refused', (n) => {
    invalidConfig(() => createLocalKeyring({ keys: { k: randomBytes(n) }, primaryKeyId: 'k' }));
  });
  it('a KEK that is not bytes is refused', () => {
    invalidConfig(() => createLocalKeyring({ keys: { k: 'a'.repeat(32) as never }, primaryKeyId: 'k' }));
  });
  it('no keys, or a primary that is not among them, is refused', () => {
    invalidConfig(() => createLocalKeyring({ keys: {}, primaryKeyId: 'k' }));
    invalidConfig(() => createLocalKeyring({ keys: { k: randomBytes(32) }, primaryKeyId: 'other' }));
    invalidConfig(() => createLocalKeyring({ keys: { ['x'.repeat(256)]: randomBytes(32) }, primaryKeyId: 'x'.repeat(256) }));
  });
  it('copies its keys, so the caller wiping theirs changes nothing', async () => {
    const kek = randomBytes(32);
    const keyring = createLocalKeyring({ keys: { k: kek }, primaryKeyId: 'k' });
    const key = await keyring.generateDataKey({ org: 'a' });
    kek.fill(0);
    expect(Buffer.from(await keyring.unwrap('k', key.wrapped, { org: 'a' })).equals(Buffer.from(key.plaintext))).toBe(true);
  });
  it('binds the KMS context and KEK id to the wrapped key', async () => {
    const keyring = createLocalKeyring({ keys: { k: randomBytes(32), j: randomBytes(32) }, primaryKeyId: 'k' });
    const key = await keyring.generateDataKey({ org: 'a' });
    await expect(keyring.unwrap('k', key.wrapped, { org: 'b' })).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(keyring.unwrap('j', key.wrapped, { org: 'a' })).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(keyring.unwrap('missing', key.wrapped, { org: 'a' })).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
  });
});

describe('canonicalKeyId', () => {
  it('accepts a held key and refuses any other', async () => {
    const keyring = createLocalKeyring({ keys: { a: randomBytes(32) }, primaryKeyId: 'a' });
    expect(await keyring.canonicalKeyId('a')).toBe('a');
    await expect(keyring.canonicalKeyId('b')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
