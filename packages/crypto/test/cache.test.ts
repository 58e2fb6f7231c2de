import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataKeyCache } from '../src/cache';
import { createEnvelope, createLocalKeyring } from '../src/index';

const fetcher = () => {
  let calls = 0;
  const fetch = async () => {
    calls++;
    return { value: calls, plaintext: new Uint8Array(randomBytes(32)) };
  };
  return { fetch, calls: () => calls };
};

afterEach(() => vi.useRealTimers());

describe('DataKeyCache', () => {
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

  it('zero-fills the plaintext of what it evicts', () => {
    const cache = new DataKeyCache<null>({ maxAgeMs: 60_000, maxEntries: 1 });
    const first = new Uint8Array(randomBytes(32));
    cache.put('a', null, first);
    cache.put('b', null, new Uint8Array(randomBytes(32)));
    expect(first.every((b) => b === 0)).toBe(true);
    const second = new Uint8Array(randomBytes(32));
    cache.put('c', null, second);
    cache.clear();
    expect(second.every((b) => b === 0)).toBe(true);
  });

  it('hands out copies, and a burst of misses costs one fetch', async () => {
    const cache = new DataKeyCache<number>({ maxAgeMs: 60_000 });
    const f = fetcher();
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.use('k', f.fetch)));
    expect(f.calls()).toBe(1);
    results[0]!.plaintext.fill(0);
    expect(results[1]!.plaintext.some((b) => b !== 0)).toBe(true);
  });
});

describe('envelope with a cache', () => {
  it('shares one data key per KMS context within the limits', async () => {
    const keyring = createLocalKeyring({ keys: { k: randomBytes(32) }, primaryKeyId: 'k' });
    const envelope = createEnvelope({ keyring, cache: { maxAgeMs: 60_000, maxUses: 50 }, kmsContextKeys: ['org_id'] });
    for (let i = 0; i < 100; i++) await envelope.seal(Buffer.from('v'), { org_id: 'a', secret_id: String(i), version: '1' });
    expect(envelope.stats().kmsCalls).toBe(2);
    await envelope.seal(Buffer.from('v'), { org_id: 'b', secret_id: '0', version: '1' });
    expect(envelope.stats().kmsCalls).toBe(3);
  });

  it('without a cache every seal and open calls the keyring', async () => {
    const keyring = createLocalKeyring({ keys: { k: randomBytes(32) }, primaryKeyId: 'k' });
    const envelope = createEnvelope({ keyring, cache: false });
    const ctx = { org_id: 'a' };
    await envelope.open(await envelope.seal(Buffer.from('v'), ctx), ctx);
    expect(envelope.stats()).toEqual({ kmsCalls: 2, cacheHits: 0, cacheMisses: 0 });
  });
});
