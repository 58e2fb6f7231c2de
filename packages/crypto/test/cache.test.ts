import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataKeyCache } from '../src/cache';
import { createEnvelope, createLocalKeyring, type Keyring } from '../src/index';
import { refusedConfig } from './support/expect-failure';

const fetcher = () => {
  let calls = 0;
  const fetch = async () => {
    calls++;
    return { value: calls, plaintext: new Uint8Array(randomBytes(32)) };
  };
  return { fetch, calls: () => calls };
};
const wiped = (bytes: Uint8Array) => bytes.every((b) => b === 0);

afterEach(() => vi.useRealTimers());

describe('DataKeyCache', () => {
  it('Precondition: a cache has a max age', () => {
    for (const maxAgeMs of [undefined, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '1000']) {
      refusedConfig(() => new DataKeyCache({ maxAgeMs } as never));
    }
    refusedConfig(() => new DataKeyCache(undefined as never));
  });

  it('Precondition: cache limits are positive integers', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      refusedConfig(() => new DataKeyCache({ maxAgeMs: 1, maxUses: bad }));
      refusedConfig(() => new DataKeyCache({ maxAgeMs: 1, maxEntries: bad }));
    }
  });

  it('Precondition: maxUses is at most 2^32', () => {
    refusedConfig(() => new DataKeyCache({ maxAgeMs: 1, maxUses: 2 ** 32 + 1 }));
    expect(() => new DataKeyCache({ maxAgeMs: 1, maxUses: 2 ** 32 })).not.toThrow();
  });

  it('expires entries by age', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = new DataKeyCache<number>({ maxAgeMs: 1_000 });
    const f = fetcher();
    await cache.use('k', f.fetch);
    expect((await cache.use('k', f.fetch)).hit).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect((await cache.use('k', f.fetch)).hit).toBe(false);
    expect(f.calls()).toBe(2);
  });

  it('wipes an expired key on time, even if nobody asks for it again', () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const cache = new DataKeyCache<null>({ maxAgeMs: 1_000 });
    const key = new Uint8Array(randomBytes(32));
    cache.put('k', null, key);
    vi.advanceTimersByTime(999);
    expect(wiped(key)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(wiped(key)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('expires entries by use count', async () => {
    const cache = new DataKeyCache<number>({ maxAgeMs: 60_000, maxUses: 3 });
    const f = fetcher();
    const hits = [];
    for (let i = 0; i < 7; i++) hits.push((await cache.use('k', f.fetch)).hit);
    expect(hits).toEqual([false, true, true, false, true, true, false]);
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const cache = new DataKeyCache<number>({ maxAgeMs: 60_000, maxEntries: 2 });
    const f = fetcher();
    await cache.use('a', f.fetch);
    await cache.use('b', f.fetch);
    await cache.use('a', f.fetch);
    await cache.use('c', f.fetch);
    expect(cache.size).toBe(2);
    expect((await cache.use('a', f.fetch)).hit).toBe(true);
    expect((await cache.use('b', f.fetch)).hit).toBe(false);
  });

  it('zero-fills the plaintext of whatever it evicts: by count, by use, by replacement', () => {
    const cache = new DataKeyCache<null>({ maxAgeMs: 60_000, maxEntries: 1, maxUses: 1 });
    const first = new Uint8Array(randomBytes(32));
    cache.put('a', null, first);
    cache.put('b', null, new Uint8Array(randomBytes(32)));
    expect(wiped(first), 'pushed out by maxEntries').toBe(true);
    const second = new Uint8Array(randomBytes(32));
    cache.put('c', null, second);
    expect(cache.hit('c')).toBeDefined();
    expect(cache.hit('c'), 'used up').toBeUndefined();
    expect(wiped(second), 'dropped after maxUses').toBe(true);
    const duplicate = new Uint8Array(randomBytes(32));
    cache.put('d', null, new Uint8Array(randomBytes(32)));
    cache.put('d', null, duplicate);
    expect(wiped(duplicate), 'a second copy of a held key').toBe(true);
  });

  it('hands out copies, and a burst of misses costs one fetch', async () => {
    const cache = new DataKeyCache<number>({ maxAgeMs: 60_000 });
    const f = fetcher();
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.use('k', f.fetch)));
    expect(f.calls()).toBe(1);
    expect(results.filter((r) => !r.hit)).toHaveLength(1);
    results[0]!.plaintext.fill(0);
    expect(results[1]!.plaintext.some((b) => b !== 0)).toBe(true);
  });
});

describe('envelope with a cache', () => {
  const ctx = (org: string, i = 0) => ({ org_id: org, secret_id: String(i), version: '1' });

  /** A local keyring that remembers the plaintext data keys it hands out. */
  function spyKeyring() {
    const inner = createLocalKeyring({ keys: { k: randomBytes(32) }, primaryKeyId: 'k' });
    const handedOut: Uint8Array[] = [];
    const keyring: Keyring = {
      ...inner,
      generateDataKey: async (c) => {
        const key = await inner.generateDataKey(c);
        handedOut.push(key.plaintext);
        return key;
      },
      unwrap: async (...args) => {
        const plaintext = await inner.unwrap(...args);
        handedOut.push(plaintext);
        return plaintext;
      },
    };
    return { keyring, handedOut };
  }

  it('shares one data key per KMS context within the use limit, in both directions', async () => {
    const { keyring } = spyKeyring();
    const envelope = createEnvelope({ keyring, cache: { maxAgeMs: 60_000, maxUses: 50 }, kmsContextKeys: ['org_id'] });
    const sealed = [];
    for (let i = 0; i < 100; i++) sealed.push(await envelope.seal(Buffer.from('v'), ctx('a', i)));
    expect(envelope.stats().kmsCalls).toBe(2);
    await envelope.seal(Buffer.from('v'), ctx('b'));
    expect(envelope.stats().kmsCalls).toBe(3);
    // The seal seeded the decrypt side: opening what it sealed costs no keyring call.
    for (let i = 0; i < 100; i++) await envelope.open(sealed[i]!, ctx('a', i));
    expect(envelope.stats().kmsCalls).toBe(3);
  });

  it('after max age a data key is fetched again, and the old one is wiped', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { keyring } = spyKeyring();
    const envelope = createEnvelope({ keyring, cache: { maxAgeMs: 1_000 }, kmsContextKeys: ['org_id'] });
    const sealed = await envelope.seal(Buffer.from('v'), ctx('a'));
    await envelope.open(sealed, ctx('a'));
    expect(envelope.stats()).toMatchObject({ kmsCalls: 1 });
    vi.advanceTimersByTime(1_000);
    await envelope.seal(Buffer.from('v'), ctx('a'));
    await envelope.open(sealed, ctx('a'));
    expect(envelope.stats()).toMatchObject({ kmsCalls: 3 });
  });

  it('plaintext data keys from the keyring are wiped once used (cache or no cache)', async () => {
    for (const cache of [false, { maxAgeMs: 60_000 }] as const) {
      const { keyring, handedOut } = spyKeyring();
      const envelope = createEnvelope({ keyring, cache, kmsContextKeys: ['org_id'] });
      const sealed = await envelope.seal(Buffer.from('v'), ctx('a'));
      await createEnvelope({ keyring, cache, kmsContextKeys: ['org_id'] }).open(sealed, ctx('a'));
      await new Promise((r) => setImmediate(r));
      expect(handedOut).toHaveLength(2);
      expect(handedOut.every(wiped), `cache: ${JSON.stringify(cache)}`).toBe(true);
    }
  });

  it('without a cache every seal and open calls the keyring', async () => {
    const envelope = createEnvelope({ keyring: spyKeyring().keyring, cache: false });
    await envelope.open(await envelope.seal(Buffer.from('v'), ctx('a')), ctx('a'));
    expect(envelope.stats()).toEqual({ kmsCalls: 2, cacheHits: 0, cacheMisses: 0 });
  });
});
