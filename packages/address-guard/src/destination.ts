import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type Allowlist, isAllowed } from './allowlist';
import { type BlockedRange, classifyAddress } from './classify';
import { AddressGuardError } from './errors';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses; the default is the OS resolver (`dns.lookup`). */
export type Resolve = (host: string) => Promise<ResolvedAddress[]>;

const osResolve: Resolve = async (host) =>
  (await lookup(host, { all: true, order: 'verbatim' })).map((a) => ({
    address: a.address,
    family: a.family as 4 | 6,
  }));

/** A destination that passed the guard: every address it resolved to, in the resolver's order. */
export interface CheckedDestination {
  /** The URL's host name (brackets stripped, lower case). */
  host: string;
  addresses: readonly ResolvedAddress[];
}

const RANGE_WORDS: Record<BlockedRange, string> = {
  unspecified: 'an unspecified ("this host") address',
  loopback: 'a loopback address',
  private: 'a private-network address',
  shared: 'a shared (carrier-grade NAT) address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  reserved: 'a reserved address',
  multicast: 'a multicast address',
  'ipv4-embedding': 'an IPv6 address that embeds an IPv4 one (NAT64, 6to4, Teredo, IPv4-compatible)',
};

/**
 * Checks where a URL leads: http(s) only, and every address its host resolves to must be public or
 * allowed (a name with one private address among public ones is refused). Connect only to the
 * returned addresses — resolving again would let DNS rebinding change the answer after the check.
 * @example const { addresses } = await checkDestination(new URL(url), allow);
 */
export async function checkDestination(
  url: URL,
  allow: Allowlist,
  options: { resolve?: Resolve } = {},
): Promise<CheckedDestination> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AddressGuardError('UNSUPPORTED_PROTOCOL', `Only http and https URLs are allowed, not ${url.protocol}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) addresses = [{ address: host, family: literal as 4 | 6 }];
  else {
    addresses = await (options.resolve ?? osResolve)(host).catch((err: unknown) => {
      const code = (err as { code?: unknown })?.code;
      throw new AddressGuardError(
        'UNRESOLVED',
        `${host} did not resolve${typeof code === 'string' ? ` (${code})` : ''}`,
        {
          cause: err,
        },
      );
    });
    if (addresses.length === 0) throw new AddressGuardError('UNRESOLVED', `${host} did not resolve`);
  }
  for (const { address } of addresses) {
    const range = classifyAddress(address);
    if (range && !isAllowed(allow, host, address)) {
      const via = literal ? host : `${host} resolves to ${address}, which`;
      throw new AddressGuardError(
        'BLOCKED_ADDRESS',
        `${via} is ${RANGE_WORDS[range]}; an operator can allow it in ${allow.setting}`,
      );
    }
  }
  return { host, addresses };
}
