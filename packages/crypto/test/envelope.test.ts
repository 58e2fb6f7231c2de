import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEnvelope, createLocalKeyring, type Keyring, parseEnvelope } from '../src/index';
import { failsWith, refusedConfig } from './support/expect-failure';

const keyring = () => createLocalKeyring({ keys: { k1: randomBytes(32), k2: randomBytes(32) }, primaryKeyId: 'k1' });
const ctx = { org_id: 'org-a', secret_id: 'secret-1', version: '1' };
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const GENERIC = 'Decryption failed: the data was altered or the context or key does not match';

describe('seal and open', () => {
  const envelope = createEnvelope({ keyring: keyring(), cache: { maxAgeMs: 60_000 }, kmsContextKeys: ['org_id'] });

  it('round-trips empty, small and 64 KiB values', async () => {
    for (const size of [0, 1, 1024, 64 * 1024]) {
      const plain = randomBytes(size);
      expect(Buffer.from(await envelope.open(await envelope.seal(plain, ctx), ctx)).equals(plain)).toBe(true);
    }
  });

  it('sealWithKeyId answers the KEK id the envelope records, on a cache miss and on a hit', async () => {
    for (const cache of [false, { maxAgeMs: 60_000 }] as const) {
      const env = createEnvelope({ keyring: keyring(), cache, kmsContextKeys: ['org_id'] });
      for (let i = 0; i < 2; i++) {
        const { sealed, keyId } = await env.sealWithKeyId(Buffer.from('keyed'), ctx);
        expect(keyId).toBe('k1');
        expect(parseEnvelope(sealed).keyId).toBe(keyId);
        expect(text(await env.open(sealed, ctx))).toBe('keyed');
      }
    }
  });

  it('uses a fresh IV for every seal', async () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 2_000; i++)
      ivs.add(Buffer.from(parseEnvelope(await envelope.seal(Buffer.from('same'), ctx)).iv).toString('hex'));
    expect(ivs.size).toBe(2_000);
  });

  it.each([
    ['another org', { ...ctx, org_id: 'org-b' }],
    ['another secret id', { ...ctx, secret_id: 'secret-2' }],
    ['another version', { ...ctx, version: '2' }],
    ['an extra pair', { ...ctx, extra: '' }],
    ['a missing pair', { org_id: ctx.org_id, secret_id: ctx.secret_id }],
  ])('a value swapped to %s does not open, with the one generic message', async (_label, other) => {
    const sealed = await envelope.seal(Buffer.from('bound'), ctx);
    const err = await failsWith(envelope.open(sealed, other), 'DECRYPTION_FAILED');
    expect(err.message).toBe(GENERIC);
  });

  it('contexts are encoded unambiguously', async () => {
    const sealed = await envelope.seal(Buffer.from('x'), { org_id: 'o', a: 'b,c' });
    await failsWith(envelope.open(sealed, { org_id: 'o', a: 'b', c: '' }), 'DECRYPTION_FAILED');
    await failsWith(envelope.open(sealed, { org_id: 'o', 'a:b': ',c' }), 'DECRYPTION_FAILED');
  });

  it('opened plaintext is the caller’s: wiping it changes nothing for the next open', async () => {
    const sealed = await envelope.seal(Buffer.from('keep'), ctx);
    (await envelope.open(sealed, ctx)).fill(0);
    expect(text(await envelope.open(sealed, ctx))).toBe('keep');
  });

  it('Precondition: plaintext and sealed values are Uint8Arrays', async () => {
    await failsWith(envelope.seal('text' as never, ctx), 'INVALID_INPUT');
    await failsWith(envelope.open(null as never, ctx), 'INVALID_INPUT');
    await failsWith(envelope.rewrap('AQE=' as never, ctx), 'INVALID_INPUT');
  });

  it('Precondition: plaintext is at most 64 MiB', async () => {
    await failsWith(envelope.seal(new Uint8Array(64 * 1024 * 1024 + 1), ctx), 'INVALID_INPUT');
  });

  it('Precondition: the context holds every key in `kmsContextKeys`', async () => {
    await failsWith(envelope.seal(Buffer.from('x'), { secret_id: 's' }), 'INVALID_INPUT');
    const sealed = await envelope.seal(Buffer.from('x'), ctx);
    await failsWith(envelope.open(sealed, { secret_id: 's' }), 'INVALID_INPUT');
  });

  it('a context with a non-string value is INVALID_INPUT before any key is used', async () => {
    const before = envelope.stats();
    await failsWith(envelope.seal(Buffer.from('x'), { ...ctx, version: 1 } as never), 'INVALID_INPUT');
    expect(envelope.stats()).toEqual(before);
  });

  it('Precondition: createEnvelope needs a keyring', () => {
    refusedConfig(() => createEnvelope({ keyring: {} as never }));
    refusedConfig(() => createEnvelope(undefined as never));
  });

  it('Precondition: kmsContextKeys are non-empty strings', () => {
    refusedConfig(() => createEnvelope({ keyring: keyring(), kmsContextKeys: [''] }));
    refusedConfig(() => createEnvelope({ keyring: keyring(), kmsContextKeys: 'org_id' as never }));
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

  it('flipping the low or the high bit of any byte of any region fails', async () => {
    const sealed = await envelope.seal(Buffer.from('the value'), ctx);
    for (const [name, [start, end]] of Object.entries(regions(sealed))) {
      expect(end, name).toBeGreaterThan(start);
      for (let i = start; i < end; i++) {
        for (const bit of [0x01, 0x80]) {
          const bad = Uint8Array.from(sealed);
          bad[i]! ^= bit;
          // A changed KEK id names a key this keyring does not hold: unavailable, never plaintext.
          const unknownKek = name === 'KEK id' ? (['KEY_UNAVAILABLE'] as const) : [];
          await failsWith(envelope.open(bad, ctx), 'DECRYPTION_FAILED', 'INVALID_INPUT', ...unknownKek);
        }
      }
    }
  });

  it('truncation, extension, empty and random input fail', async () => {
    const sealed = await envelope.seal(Buffer.from('the value'), ctx);
    for (let n = 0; n < sealed.length; n++)
      await failsWith(envelope.open(sealed.subarray(0, n), ctx), 'DECRYPTION_FAILED', 'INVALID_INPUT');
    await failsWith(envelope.open(Buffer.concat([sealed, Buffer.from([0])]), ctx), 'DECRYPTION_FAILED');
    await failsWith(envelope.open(new Uint8Array(0), ctx), 'INVALID_INPUT');
    for (let i = 0; i < 300; i++) {
      await failsWith(envelope.open(randomBytes(1 + (i % 150)), ctx), 'DECRYPTION_FAILED', 'INVALID_INPUT');
    }
    // Random bytes behind a valid header, so they reach the keyring and GCM.
    const header = sealed.subarray(0, 3 + sealed[2]! + 2);
    for (let i = 0; i < 100; i++)
      await failsWith(envelope.open(Buffer.concat([header, randomBytes(60 + 28 + i)]), ctx), 'DECRYPTION_FAILED');
  });

  it('a wrapped key from another value of the same org does not open this one', async () => {
    const a = parseEnvelope(await envelope.seal(Buffer.from('a'), ctx));
    const bSealed = await envelope.seal(Buffer.from('b'), { ...ctx, secret_id: 'secret-2' });
    const b = parseEnvelope(bSealed);
    expect(b.wrappedKey.length).toBe(a.wrappedKey.length);
    const spliced = Buffer.from(bSealed);
    Buffer.from(a.wrappedKey).copy(spliced, 5 + 2);
    await failsWith(envelope.open(spliced, { ...ctx, secret_id: 'secret-2' }), 'DECRYPTION_FAILED');
  });

  it('Precondition: a sealed value is bytes, long enough to hold every field', async () => {
    await failsWith(envelope.open(new Uint8Array(33), ctx), 'INVALID_INPUT');
  });

  it('Precondition: only format version 1 with AES-256-GCM is read', async () => {
    const sealed = Buffer.from(await envelope.seal(Buffer.from('v'), ctx));
    for (const [offset, value] of [
      [0, 2],
      [0, 0],
      [1, 2],
    ] as const) {
      const bad = Buffer.from(sealed);
      bad[offset] = value;
      expect((await failsWith(envelope.open(bad, ctx), 'INVALID_INPUT')).message).toMatch(/Unsupported envelope/);
    }
  });

  it('Precondition: the length fields are non-zero and stay inside the value', async () => {
    const sealed = Buffer.from(await envelope.seal(Buffer.from('v'), ctx));
    const zeroKeyId = Buffer.from(sealed);
    zeroKeyId[2] = 0;
    await failsWith(envelope.open(zeroKeyId, ctx), 'INVALID_INPUT');
    const longWrapped = Buffer.from(sealed);
    longWrapped.writeUInt16BE(0xffff, 3 + sealed[2]!);
    await failsWith(envelope.open(longWrapped, ctx), 'INVALID_INPUT');
    const zeroWrapped = Buffer.from(sealed);
    zeroWrapped.writeUInt16BE(0, 3 + sealed[2]!);
    await failsWith(envelope.open(zeroWrapped, ctx), 'INVALID_INPUT');
  });

  it('Precondition: the KEK id is valid UTF-8', async () => {
    const sealed = Buffer.from(await envelope.seal(Buffer.from('v'), ctx));
    sealed[3] = 0xff;
    expect((await failsWith(envelope.open(sealed, ctx), 'INVALID_INPUT')).message).toMatch(/UTF-8/);
  });
});

describe('rewrap', () => {
  it('moves a value to another KEK without touching IV, ciphertext or tag (local → local)', async () => {
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const both = createLocalKeyring({ keys: { k1, k2 }, primaryKeyId: 'k1' });
    const envelope = createEnvelope({ keyring: both, cache: { maxAgeMs: 60_000 }, kmsContextKeys: ['org_id'] });
    const sealed = await envelope.seal(Buffer.from('rotate me'), ctx);
    const moved = await envelope.rewrap(sealed, ctx, 'k2');
    const [before, after] = [parseEnvelope(sealed), parseEnvelope(moved)];
    expect(after.keyId).toBe('k2');
    expect(envelope.keyIdOf(moved)).toBe('k2');
    expect(Buffer.from(after.wrappedKey).equals(Buffer.from(before.wrappedKey))).toBe(false);
    const tail = (s: Uint8Array, p: typeof before) => Buffer.from(s.subarray(s.length - 12 - p.ciphertext.length - 16));
    expect(tail(moved, after).equals(tail(sealed, before)), 'IV, ciphertext and tag bytes').toBe(true);
    expect(text(await envelope.open(moved, ctx))).toBe('rotate me');
    // A reader that holds only the new KEK opens it; one that holds only the old one does not.
    const onlyNew = createEnvelope({
      keyring: createLocalKeyring({ keys: { k2 }, primaryKeyId: 'k2' }),
      kmsContextKeys: ['org_id'],
    });
    expect(text(await onlyNew.open(moved, ctx))).toBe('rotate me');
    const onlyOld = createEnvelope({
      keyring: createLocalKeyring({ keys: { k1 }, primaryKeyId: 'k1' }),
      kmsContextKeys: ['org_id'],
    });
    // It names a KEK the reader lacks: the key is unavailable here (retry once it is), not tampering.
    const missing = await failsWith(onlyOld.open(moved, ctx), 'KEY_UNAVAILABLE');
    expect(missing).toMatchObject({ keyId: 'k2', message: 'KEK `k2` is not held by this keyring' });
    // Already under the target: returned as is.
    expect(await envelope.rewrap(moved, ctx, 'k2')).toBe(moved);
  });

  it('a wrong context or a tampered value is not re-wrapped', async () => {
    const envelope = createEnvelope({ keyring: keyring(), cache: false, kmsContextKeys: ['org_id'] });
    const sealed = await envelope.seal(Buffer.from('v'), ctx);
    await failsWith(envelope.rewrap(sealed, { ...ctx, org_id: 'org-b' }, 'k2'), 'DECRYPTION_FAILED');
    // The KMS context matches but the value's does not: the proof-open catches it.
    await failsWith(envelope.rewrap(sealed, { ...ctx, version: '9' }, 'k2'), 'DECRYPTION_FAILED');
    const bad = Uint8Array.from(sealed);
    bad[bad.length - 1]! ^= 1;
    await failsWith(envelope.rewrap(bad, ctx, 'k2'), 'DECRYPTION_FAILED');
  });

  it('Precondition: a local rewrap targets a KEK the keyring holds', async () => {
    const envelope = createEnvelope({ keyring: keyring(), cache: false });
    await failsWith(envelope.rewrap(await envelope.seal(Buffer.from('v'), ctx), ctx, 'k9'), 'INVALID_CONFIG');
  });

  it('Precondition: rewrap names a KEK id of 1 to 255 bytes', async () => {
    const envelope = createEnvelope({ keyring: keyring(), cache: false });
    const sealed = await envelope.seal(Buffer.from('v'), ctx);
    await failsWith(envelope.rewrap(sealed, ctx, ''), 'INVALID_INPUT');
    await failsWith(envelope.rewrap(sealed, ctx, 'k'.repeat(256)), 'INVALID_INPUT');
  });

  it('re-wraps a shared data key once, however many values it sealed', async () => {
    const envelope = createEnvelope({ keyring: keyring(), cache: { maxAgeMs: 60_000 }, kmsContextKeys: ['org_id'] });
    const contexts = Array.from({ length: 20 }, (_, i) => ({ ...ctx, secret_id: `s${i}` }));
    const sealed = await Promise.all(contexts.map((c, i) => envelope.seal(Buffer.from(`v${i}`), c)));
    const before = envelope.stats().kmsCalls;
    const moved = await Promise.all(sealed.map((s, i) => envelope.rewrap(s, contexts[i]!, 'k2')));
    expect(envelope.stats().kmsCalls - before).toBe(2); // one re-wrap, one open to prove it
    for (const [i, m] of moved.entries()) expect(text(await envelope.open(m, contexts[i]!))).toBe(`v${i}`);
  });
});

describe('keyring results are checked', () => {
  /** A working local keyring with one method replaced. */
  const broken = (patch: Partial<Keyring>): Keyring => ({ ...keyring(), ...patch });

  it('Postcondition: a generated data key is 32 bytes and its wrapping fits the envelope', async () => {
    const short = new Uint8Array(16).fill(7);
    const cases: Partial<Keyring>[] = [
      { generateDataKey: async () => ({ keyId: 'k1', plaintext: short, wrapped: new Uint8Array(60) }) },
      { generateDataKey: async () => ({ keyId: 'k1', plaintext: new Uint8Array(32), wrapped: new Uint8Array(0) }) },
      { generateDataKey: async () => ({ keyId: '', plaintext: new Uint8Array(32), wrapped: new Uint8Array(60) }) },
      { generateDataKey: async () => undefined as never },
    ];
    for (const patch of cases) {
      const envelope = createEnvelope({ keyring: broken(patch), cache: false });
      await failsWith(envelope.seal(Buffer.from('v'), ctx), 'KEY_UNAVAILABLE');
    }
    expect(
      short.every((b) => b === 0),
      'a refused key is wiped',
    ).toBe(true);
  });

  it('Postcondition: an unwrapped data key is 32 bytes', async () => {
    const good = createEnvelope({ keyring: keyring(), cache: false });
    const sealed = await good.seal(Buffer.from('v'), ctx);
    const envelope = createEnvelope({ keyring: broken({ unwrap: async () => new Uint8Array(31) }), cache: false });
    await failsWith(envelope.open(sealed, ctx), 'KEY_UNAVAILABLE');
  });

  it('Postcondition: a re-wrapped data key fits the envelope', async () => {
    const base = keyring();
    const sealed = await createEnvelope({ keyring: base, cache: false }).seal(Buffer.from('v'), ctx);
    const envelope = createEnvelope({
      keyring: { ...base, rewrap: async () => ({ keyId: 'k2', wrapped: new Uint8Array(0) }) },
      cache: false,
    });
    await failsWith(envelope.rewrap(sealed, ctx, 'k2'), 'KEY_UNAVAILABLE');
  });

  it('Postcondition: a rewrapped value opens before anyone stores it', async () => {
    const base = keyring();
    const sealed = await createEnvelope({ keyring: base, cache: false }).seal(Buffer.from('v'), ctx);
    // A keyring that "re-wraps" into a different data key: the result must not be handed out.
    const wrongKey = async () => ({ keyId: 'k1', wrapped: (await base.generateDataKey(ctx)).wrapped });
    const envelope = createEnvelope({ keyring: { ...base, rewrap: wrongKey }, cache: false });
    await failsWith(envelope.rewrap(sealed, ctx, 'k2'), 'DECRYPTION_FAILED');
  });
});
