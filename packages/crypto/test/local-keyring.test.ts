import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLocalKeyring } from '../src/index';
import { refusedConfig } from './support/expect-failure';

describe('createLocalKeyring', () => {
  it.each([0, 16, 31, 33, 64])('Precondition: every KEK is exactly 32 bytes (%i is refused)', (n) => {
    refusedConfig(() => createLocalKeyring({ keys: { k: randomBytes(n) }, primaryKeyId: 'k' }));
  });

  it('Precondition: every KEK is exactly 32 bytes, as bytes (a 32-character string is refused)', () => {
    refusedConfig(() => createLocalKeyring({ keys: { k: 'a'.repeat(32) as never }, primaryKeyId: 'k' }));
  });

  it('Precondition: a local keyring holds at least one KEK', () => {
    refusedConfig(() => createLocalKeyring({ keys: {}, primaryKeyId: 'k' }));
    refusedConfig(() => createLocalKeyring(undefined as never));
  });

  it('Precondition: primaryKeyId names one of the keys', () => {
    refusedConfig(() => createLocalKeyring({ keys: { k: randomBytes(32) }, primaryKeyId: 'other' }));
  });

  it('Precondition: KEK ids are 1 to 255 bytes', () => {
    refusedConfig(() =>
      createLocalKeyring({ keys: { ['x'.repeat(256)]: randomBytes(32) }, primaryKeyId: 'x'.repeat(256) }),
    );
    refusedConfig(() => createLocalKeyring({ keys: { '': randomBytes(32) }, primaryKeyId: '' }));
  });

  it('messages name what was expected, never key bytes', () => {
    const key = randomBytes(31);
    const err = refusedConfig(() => createLocalKeyring({ keys: { k: key }, primaryKeyId: 'k' }));
    expect(err.message).toBe('Expected KEK `k` to be exactly 32 bytes');
  });

  it('copies its keys, so the caller wiping theirs changes nothing', async () => {
    const kek = randomBytes(32);
    const keyring = createLocalKeyring({ keys: { k: kek }, primaryKeyId: 'k' });
    const key = await keyring.generateDataKey({ org: 'a' });
    kek.fill(0);
    expect(Buffer.from(await keyring.unwrap('k', key.wrapped, { org: 'a' })).equals(Buffer.from(key.plaintext))).toBe(
      true,
    );
  });

  it('binds the KMS context and KEK id to the wrapped key', async () => {
    const keyring = createLocalKeyring({ keys: { k: randomBytes(32), j: randomBytes(32) }, primaryKeyId: 'k' });
    const key = await keyring.generateDataKey({ org: 'a' });
    await expect(keyring.unwrap('k', key.wrapped, { org: 'b' })).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(keyring.unwrap('j', key.wrapped, { org: 'a' })).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    // An id the keyring does not hold is a key not distributed here (yet), named in the error.
    await expect(keyring.unwrap('missing', key.wrapped, { org: 'a' })).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
      keyId: 'missing',
    });
  });

  it('several KEKs live at once: new data keys go under the primary, any held KEK unwraps', async () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const old = await createLocalKeyring({ keys: { a }, primaryKeyId: 'a' }).generateDataKey({ org: 'x' });
    const both = createLocalKeyring({ keys: { a, b }, primaryKeyId: 'b' });
    expect((await both.generateDataKey({ org: 'x' })).keyId).toBe('b');
    expect(Buffer.from(await both.unwrap('a', old.wrapped, { org: 'x' })).equals(Buffer.from(old.plaintext))).toBe(
      true,
    );
  });

  it('check() resolves; canonicalKeyId accepts a held key and refuses any other', async () => {
    const keyring = createLocalKeyring({ keys: { a: randomBytes(32) }, primaryKeyId: 'a' });
    await expect(keyring.check()).resolves.toBeUndefined();
    expect(await keyring.canonicalKeyId('a')).toBe('a');
    await expect(keyring.canonicalKeyId('b')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
