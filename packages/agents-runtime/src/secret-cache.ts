/** A resolved value as the runtime keeps it. */
export interface CachedValue {
  secretId: string;
  version: number;
  value: string;
  /** When the value stops working (an OAuth access token), in ms since the epoch. */
  expiresAt?: number | undefined;
}

interface Entry extends CachedValue {
  fetchedAt: number;
}

/**
 * Resolved values keyed by who asked (org, agent, chat, and what), since the server's scope and
 * grant checks differ per asker. Entries are dropped on `secret.changed`/`secret.deleted`, expire
 * after `maxAgeMs` as a backstop, and a burst of identical misses costs one resolution.
 */
export function createSecretCache(options: {
  maxAgeMs: number;
  /** A value that expires is kept only until this long before it does. */
  expiryMarginMs?: number;
  now?: () => number;
}) {
  if (!(options.maxAgeMs > 0)) throw new TypeError('Expected `cache.maxAgeMs` to be a positive number');
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<CachedValue>>();
  /** The lowest version still acceptable per secret, raised by change events. */
  const floor = new Map<string, number>();
  /** Bumped on every drop, so a resolution racing an invalidation is not stored. */
  const generation = new Map<string, number>();

  const margin = options.expiryMarginMs ?? 30_000;
  const fresh = (entry: Entry | undefined) =>
    entry &&
    now() - entry.fetchedAt < options.maxAgeMs &&
    (entry.expiresAt === undefined || now() < entry.expiresAt - margin) &&
    entry.version >= (floor.get(entry.secretId) ?? 0);

  /** Where invalidations stood when a resolution started: it is stored only if none hit its secret since. */
  const mark = () => new Map(generation);
  const store = (key: string, value: CachedValue, since: Map<string, number>) => {
    const unchanged = (generation.get(value.secretId) ?? 0) === (since.get(value.secretId) ?? 0);
    if (unchanged && value.version >= (floor.get(value.secretId) ?? 0))
      entries.set(key, { ...value, fetchedAt: now() });
  };

  return {
    /** The cached value for `key`, or the single in-flight resolution of it. */
    async get(key: string, resolve: () => Promise<CachedValue>): Promise<CachedValue & { hit: boolean }> {
      const entry = entries.get(key);
      if (fresh(entry)) return { ...entry!, hit: true };
      let pending = inflight.get(key);
      if (!pending) {
        pending = resolve();
        inflight.set(key, pending);
        const since = mark();
        pending
          .then((value) => store(key, value, since))
          .catch(() => {})
          .finally(() => inflight.delete(key));
      }
      return { ...(await pending), hit: false };
    },

    /** The value cached for `key` if it may still be used (within max age, expiry and version floor). */
    peek(key: string): CachedValue | undefined {
      const entry = entries.get(key);
      return fresh(entry) ? entry : undefined;
    },

    /** Usable entries whose key starts with `prefix`. */
    under(prefix: string): CachedValue[] {
      const out: CachedValue[] = [];
      for (const [key, entry] of entries) if (key.startsWith(prefix) && fresh(entry)) out.push(entry);
      return out;
    },

    mark,

    /** Stores a value resolved elsewhere, unless its secret was invalidated since `mark()`. */
    store,

    /** Drops every entry of a secret; versions below `minVersion` are refused from now on. */
    drop(secretId: string, minVersion = 0): void {
      generation.set(secretId, (generation.get(secretId) ?? 0) + 1);
      if (minVersion > (floor.get(secretId) ?? 0)) floor.set(secretId, minVersion);
      for (const [key, entry] of entries) if (entry.secretId === secretId) entries.delete(key);
    },

    /** Secret ids and versions held, for a version check after a reconnect. */
    held(): Map<string, number> {
      const out = new Map<string, number>();
      for (const entry of entries.values()) out.set(entry.secretId, entry.version);
      return out;
    },

    clear(): void {
      for (const id of new Set([...entries.values()].map((e) => e.secretId))) this.drop(id);
    },

    get size(): number {
      return entries.size;
    },
  };
}

export type SecretCache = ReturnType<typeof createSecretCache>;
