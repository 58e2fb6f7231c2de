import { isIPv6 } from 'node:net';
import { AppError } from '../core/errors';

/** Failed token checks allowed per client address per window, before 429. */
export const AUTH_FAILURE_LIMIT = 20;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses tracked at once; past this the oldest window is dropped, so memory stays bounded. */
const MAX_ADDRESSES = 10_000;

/**
 * The key an address is counted under. IPv4 (also written `::ffff:a.b.c.d`) counts per address;
 * IPv6 per /64, the smallest block a single subscriber is given, so rotating through one's own
 * 2^64 addresses buys nothing.
 */
export function throttleKey(address: string): string {
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return mapped[1]!;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  const groups = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head = '', tail] = bare.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const full = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Counts failed authentications per client address in a fixed window, in this process's memory.
 *
 * Why in memory and not in Postgres like the reveal limit: the point is to stop bad tokens from
 * costing a database round trip each, and a Postgres-held counter would turn every bad attempt
 * into a database write instead — the load we want to shed. Per instance, an attacker spread over
 * N instances gets N × the limit, which is still a fixed bound per window; a reveal, by contrast,
 * hands out a value, so its limit must be exact across instances. Valid tokens already trusted by
 * this process keep working from a throttled address (see the authenticator), so a shared NAT
 * address under attack does not lock out its signed-in users.
 * @example const throttle = createAuthThrottle(); throttle.check(ip); ...; throttle.fail(ip);
 */
export function createAuthThrottle(options: { limit?: number; windowMs?: number; now?: () => number } = {}) {
  const limit = options.limit ?? AUTH_FAILURE_LIMIT;
  const windowMs = options.windowMs ?? AUTH_FAILURE_WINDOW_MS;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; failures: number }>();

  const current = (key: string, at: number) => {
    const entry = windows.get(key);
    if (entry && at - entry.start < windowMs) return entry;
    windows.delete(key);
    return undefined;
  };

  return {
    /** Throws TOO_MANY_REQUESTS (with `retryAfterSeconds`) while `address` is over its limit. */
    check(address: string): void {
      const at = now();
      const entry = current(throttleKey(address), at);
      if (!entry || entry.failures < limit) return;
      const retryAfterSeconds = Math.max(1, Math.ceil((entry.start + windowMs - at) / 1000));
      throw new AppError(
        'TOO_MANY_REQUESTS',
        'Too many failed authentication attempts from this address; retry later',
        {
          reason: 'AUTH_RATE_LIMITED',
          details: { retryAfterSeconds },
        },
      );
    },
    /** Records one failed authentication from `address`. */
    fail(address: string): void {
      const at = now();
      const key = throttleKey(address);
      const entry = current(key, at);
      if (entry) {
        entry.failures += 1;
        return;
      }
      if (windows.size >= MAX_ADDRESSES) windows.delete(windows.keys().next().value!);
      windows.set(key, { start: at, failures: 1 });
    },
  };
}

export type AuthThrottle = ReturnType<typeof createAuthThrottle>;
