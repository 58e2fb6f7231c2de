import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEnvelope, createLocalKeyring, CryptoError, parseEnvelope } from '../src/index';

const keyring = () => createLocalKeyring({ keys: { k1: randomBytes(32), k2: randomBytes(32) }, primaryKeyId: 'k1' });
const ctx = { org_id: 'org-a', secret_id: 'secret-1', version: '1' };
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** Awaits a call that must fail with one of `codes`; returns the error. */
async function failsWith(call: Promise<unknown>, ...codes: string[]): Promise<CryptoError> {
  const err = await call.then(
    (v) => {
      throw new Error(`expected a CryptoError, got a value: ${String(v)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CryptoError);
  expect(codes).toContain((err as CryptoError).code);
  return err as CryptoError;
}

describe('seal and open', () => {
  const envelope = createEnvelope({ keyring: keyring(), cache: { maxAgeMs: 60_000 }, kmsContextKeys: ['org_id'] });

  it('round-trips empty, small and 64 KiB values', async () => {
    for (const size of [0, 1, 1024, 64 * 1024]) {
      const plain = randomBytes(size);
      expect(Buffer.from(await envelope.open(await envelope.seal(plain, ctx), ctx)).equals(plain)).toBe(true);
    }
  });

  it('uses a fresh IV for every seal', async () => {
    const a = parseEnvelope(await envelope.seal(Buffer.from('same'), ctx));
    const b = parseEnvelope(await envelope.seal(Buffer.from('same'), ctx));
    expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
  });

  it.each([
    ['another org', { ...ctx, org_id: 'org-b' }],
    ['another secret id', { ...ctx, secret_id: 'secret-2' }],
    ['another version', { ...ctx, version: '2' }],
    ['an extra pair', { ...ctx, extra: '' }],
    ['a missing pair', { org_id: ctx.org_id, secret_id: ctx.secret_id }],
  ])('refuses to open under %s', async (_label, other) => {
    const sealed = await envelope.seal(Buffer.from('bound'), ctx);
    const err = await failsWith(envelope.open(sealed, other), 'DECRYPTION_FAILED');
    expect(err.message).toBe('Decryption failed: the data was altered or the context or key does not match');
  });

  it('encodes contexts unambiguously', async () => {
    const sealed = await envelope.seal(Buffer.from('x'), { org_id: 'o', a: 'b,c' });
    await failsWith(envelope.open(sealed, { org_id: 'o', a: 'b', c: '' }), 'DECRYPTION_FAILED');
    await failsWith(envelope.open(sealed, { org_id: 'o', 'a:b': ',c' }), 'DECRYPTION_FAILED');
  });

  it('checks its input: precondition names', async () => {
    await failsWith(envelope.seal('text' as never, ctx), 'INVALID_INPUT');
    await failsWith(envelope.seal(Buffer.from('x'), { org_id: 1 } as never), 'INVALID_INPUT');
    await failsWith(envelope.seal(Buffer.from('x'), { secret_id: 's' }), 'INVALID_INPUT');
    await failsWith(envelope.open(null as never, ctx), 'INVALID_INPUT');
  });

  it('refuses bad configuration at construction', () => {
    expect(() => createEnvelope({ keyring: {} as never })).toThrow(CryptoError);
    expect(() => createEnvelope({ keyring: keyring(), cache: {} as never })).toThrow(/max age/);
    expect(() => createEnvelope({ keyring: keyring(), cache: { maxAgeMs: 1, maxUses: 0 } })).toThrow(/maxUses/);
    expect(() => createEnvelope({ keyring: keyring(), kmsContextKeys: [''] })).toThrow(/kmsContextKeys/);
  });
});

describe('tampering: never plaintext', () => {
  const envelope = createEnvelope({ keyring: keyring(), cache: false, kmsContextKeys: ['org_id'] });

  /** The byte ranges of each field of an envelope. */
  function regions(sealed: Uint8Array) {
    const keyIdLength = sealed[2]!;
    const wrappedLength = Buffer.from(sealed).readUInt16BE(3 + keyIdLength);
    const wrappedStart = 5 + keyIdLength;
    const ivStart = wrappedStart + wrappedLength;
    return {
      version: [0, 1],
      algorithm: [1, 2],
      'KEK id length': [2, 3],
      'KEK id': [3, 3 + keyIdLength],
      'wrapped key length': [3 + keyIdLength, wrappedStart],
      'wrapped key': [wrappedStart, ivStart],
      IV: [ivStart, ivStart + 12],
      ciphertext: [ivStart + 12, sealed.length - 16],
      tag: [sealed.length - 16, sealed.length],
    } as Record<string, [number, number]>;
  }

  it('flipping any bit of any byte of any region fails', async () => {
    const sealed = await envelope.seal(Buffer.from('the value'), ctx);
    for (const [name, [start, end]] of Object.entries(regions(sealed))) {
      expect(end, name).toBeGreaterThan(start);
      for (let i = start; i < end; i++) {
        for (const bit of [0x01, 0x80]) {
          const bad = Uint8Array.from(sealed);
          bad[i]! ^= bit;
          await failsWith(envelope.open(bad, ctx), 'DECRYPTION_FAILED', 'INVALID_INPUT');
        }
      }
    }
  });

  it('truncation, extension, empty and random input fail', async () => {
    const sealed = await envelope.seal(Buffer.from('the value'), ctx);
    for (let n = 0; n < sealed.length; n++) await failsWith(envelope.open(sealed.subarray(0, n), ctx), 'DECRYPTION_FAILED', 'INVALID_INPUT');
    await failsWith(envelope.open(Buffer.concat([sealed, Buffer.from([0])]), ctx), 'DECRYPTION_FAILED');
    await failsWith(envelope.open(new Uint8Array(0), ctx), 'INVALID_INPUT');
    for (let i = 0; i < 200; i++) {
      await failsWith(envelope.open(randomBytes(1 + (i % 120)), ctx), 'DECRYPTION_FAILED', 'INVALID_INPUT');
    }
  });

  it('a wrapped key from another value of the same org does not open this one', async () => {
    const a = parseEnvelope(await envelope.seal(Buffer.from('a'), ctx));
    const bSealed = await envelope.seal(Buffer.from('b'), { ...ctx, secret_id: 'secret-2' });
    const b = parseEnvelope(bSealed);
    const spliced = Buffer.from(bSealed);
    Buffer.from(a.wrappedKey).copy(spliced, 5 + 2);
    expect(b.wrappedKey.length).toBe(a.wrappedKey.length);
    await failsWith(envelope.open(spliced, { ...ctx, secret_id: 'secret-2' }), 'DECRYPTION_FAILED');
  });
});

describe('rewrap', () => {
  it('moves a value to another KEK without touching IV, ciphertext or tag', async () => {
    const envelope = createEnvelope({ keyring: keyring(), cache: { maxAgeMs: 60_000 }, kmsContextKeys: ['org_id'] });
    const sealed = await envelope.seal(Buffer.from('rotate me'), ctx);
    const moved = await envelope.rewrap(sealed, ctx, 'k2');
    const [before, after] = [parseEnvelope(sealed), parseEnvelope(moved)];
    expect(after.keyId).toBe('k2');
    expect(envelope.keyIdOf(moved)).toBe('k2');
    for (const field of ['iv', 'ciphertext', 'tag'] as const) {
      expect(Buffer.from(after[field]).equals(Buffer.from(before[field])), field).toBe(true);
    }
    expect(text(await envelope.open(moved, ctx))).toBe('rotate me');
    expect(await envelope.rewrap(moved, ctx, 'k2')).toBe(moved);
    await failsWith(envelope.rewrap(sealed, { ...ctx, org_id: 'org-b' }, 'k2'), 'DECRYPTION_FAILED');
    await failsWith(envelope.rewrap(sealed, ctx, 'k9'), 'INVALID_CONFIG');
  });
});

describe('rewrap of many values', () => {
  it('re-wraps a shared data key once, however many values it sealed', async () => {
    const envelope = createEnvelope({ keyring: keyring(), cache: { maxAgeMs: 60_000 }, kmsContextKeys: ['org_id'] });
    const sealed = await Promise.all(
      Array.from({ length: 20 }, (_, i) => envelope.seal(Buffer.from(`v${i}`), { ...ctx, secret_id: `s${i}` })),
    );
    const before = envelope.stats().kmsCalls;
    const moved = await Promise.all(sealed.map((s, i) => envelope.rewrap(s, { ...ctx, secret_id: `s${i}` }, 'k2')));
    expect(envelope.stats().kmsCalls - before).toBe(2); // one re-wrap, one open to prove it
    for (let i = 0; i < 20; i++) expect(text(await envelope.open(moved[i]!, { ...ctx, secret_id: `s${i}` }))).toBe(`v${i}`);
  });
});
