import { invalidConfig } from './errors';

export interface CacheOptions {
  /** Required: how long a plaintext data key may be reused. Nothing is cached forever. */
  maxAgeMs: number;
  /** Seals or opens per cached key before it is dropped (default 10 000). */
  maxUses?: number;
  /** Keys held at once per direction, least recently used dropped first (default 1 000). */
  maxEntries?: number;
}

interface Entry<T> {
  value: T;
  plaintext: Uint8Array;
  createdAt: number;
  uses: number;
  expiry: NodeJS.Timeout;
}

type Fetched<T> = { value: T; plaintext: Uint8Array };

/** setTimeout's ceiling; a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A bounded map of plaintext data keys. Entries expire by age and by use count; whatever leaves
 * the cache has its plaintext zero-filled — an expired key is wiped on time even if nobody asks
 * for it again. Concurrent misses for one key share one fetch.
 */
export class DataKeyCache<T> {
  readonly #maxAgeMs: number;
  readonly #maxUses: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry<T>>();
  #last: string | undefined;
  readonly #pending = new Map<string, { promise: Promise<Fetched<T>>; waiters: number }>();

  constructor(options: CacheOptions) {
    const maxAgeMs = options?.maxAgeMs;
    // Precondition: a cache has a max age: "You can not cache something forever" (AWS ESDK).
    if (typeof maxAgeMs !== 'number' || !(maxAgeMs > 0) || maxAgeMs > MAX_TIMER_MS) {
      throw invalidConfig(
        'Expected `cache.maxAgeMs` to be a positive number of at most 2147483647 (24.8 days): a cache needs a max age',
      );
    }
    this.#maxAgeMs = maxAgeMs;
    this.#maxUses = positiveInt(options.maxUses ?? 10_000, 'cache.maxUses');
    // Precondition: maxUses is at most 2^32: with random 96-bit IVs, NIST SP 800-38D allows no more
    // encryptions under one key.
    if (this.#maxUses > 2 ** 32)
      throw invalidConfig('Expected `cache.maxUses` to be at most 4294967296 (2^32 seals per data key)');
    this.#maxEntries = positiveInt(options.maxEntries ?? 1_000, 'cache.maxEntries');
  }

  /**
   * A cached entry for `key`, counting one use, synchronously; undefined on a miss. The plaintext
   * is the cache's own: use it before the next await and neither keep nor wipe it.
   */
  hit(key: string): Fetched<T> | undefined {
    return this.#take(key);
  }

  /**
   * The cached value for `key`, counting one use, or what `fetch` produces (then cached). `hit`
   * tells which. The plaintext returned is the caller's own copy: wipe it after use.
   */
  async use(key: string, fetch: () => Promise<Fetched<T>>): Promise<Fetched<T> & { hit: boolean }> {
    const cached = this.#take(key);
    if (cached) return { value: cached.value, plaintext: copy(cached.plaintext), hit: true };
    let flight = this.#pending.get(key);
    const leader = !flight;
    if (!flight) {
      const started = { promise: fetch(), waiters: 0 };
      started.promise.then(
        (fetched) => {
          this.#pending.delete(key);
          this.#insert(key, fetched.value, copy(fetched.plaintext), started.waiters);
          // Every waiter resumes in this microtask checkpoint and copies the key; then wipe it.
          setImmediate(() => fetched.plaintext.fill(0));
        },
        () => this.#pending.delete(key),
      );
      this.#pending.set(key, started);
      flight = started;
    }
    flight.waiters++;
    const fetched = await flight.promise;
    return { value: fetched.value, plaintext: copy(fetched.plaintext), hit: !leader };
  }

  /** Seeds an entry (e.g. the decrypt side of a key just generated for sealing); takes `plaintext`. */
  put(key: string, value: T, plaintext: Uint8Array): void {
    if (!this.#entries.has(key)) this.#insert(key, value, plaintext, 0);
    else plaintext.fill(0);
  }

  get size(): number {
    return this.#entries.size;
  }

  #take(key: string): Entry<T> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    // The timer wipes expired entries; this check covers a timer that is late under load.
    if (Date.now() - entry.createdAt >= this.#maxAgeMs || entry.uses >= this.#maxUses) {
      this.#evict(key);
      return undefined;
    }
    entry.uses++;
    // Least recently used first: move to the end (unless it is there already).
    if (this.#last !== key) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#last = key;
    }
    return entry;
  }

  #insert(key: string, value: T, plaintext: Uint8Array, uses: number): void {
    this.#evict(key);
    // unref: a cache must not keep the process alive.
    const expiry = setTimeout(
      () => this.#entries.get(key)?.expiry === expiry && this.#evict(key),
      this.#maxAgeMs,
    ).unref();
    this.#entries.set(key, { value, plaintext, createdAt: Date.now(), uses, expiry });
    this.#last = key;
    while (this.#entries.size > this.#maxEntries) this.#evict(this.#entries.keys().next().value!);
  }

  #evict(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    if (this.#last === key) this.#last = undefined;
    clearTimeout(entry.expiry);
    entry.plaintext.fill(0);
  }
}

const copy = (bytes: Uint8Array) => new Uint8Array(bytes);

function positiveInt(n: number, label: string): number {
  // Precondition: cache limits are positive integers.
  if (!Number.isInteger(n) || n < 1) throw invalidConfig(`Expected \`${label}\` to be a positive integer`);
  return n;
}
