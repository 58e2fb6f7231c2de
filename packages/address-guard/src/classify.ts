import { BlockList, isIP } from 'node:net';

/** The kind of blocked range an address falls in, for messages and audit. */
export type BlockedRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'metadata'
  | 'reserved'
  | 'multicast'
  | 'ipv4-embedding';

/**
 * Ranges a server-side request to a user-supplied URL must not reach unless an operator allows
 * them: this host, the private network, cloud metadata, and IPv6 forms that embed an IPv4 address
 * (a NAT64 or 6to4 gateway would carry the request to the IPv4 address inside). The first match
 * names the range, so the specific entries come first.
 */
const RANGES: readonly (readonly [string, number, 'ipv4' | 'ipv6', BlockedRange])[] = [
  ['169.254.169.254', 32, 'ipv4', 'metadata'], // AWS, GCP, Azure, OpenStack metadata
  ['168.63.129.16', 32, 'ipv4', 'metadata'], // Azure WireServer (a public address, host-only)
  ['0.0.0.0', 8, 'ipv4', 'unspecified'], // "this" network; 0.0.0.0 reaches the local host
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared'], // carrier-grade NAT, also Alibaba's metadata 100.100.100.200
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'], // IETF protocol assignments
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved'], // benchmarking
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'], // incl. broadcast
  ['fd00:ec2::254', 128, 'ipv6', 'metadata'], // AWS metadata over IPv6
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['::', 96, 'ipv6', 'ipv4-embedding'], // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291)
  ['::ffff:0:0:0', 96, 'ipv6', 'ipv4-embedding'], // IPv4-translated (SIIT)
  ['64:ff9b::', 96, 'ipv6', 'ipv4-embedding'], // NAT64 well-known prefix
  ['64:ff9b:1::', 48, 'ipv6', 'ipv4-embedding'], // NAT64 local-use prefix (RFC 8215)
  ['100::', 64, 'ipv6', 'reserved'], // discard-only
  ['2001::', 32, 'ipv6', 'ipv4-embedding'], // Teredo
  ['2002::', 16, 'ipv6', 'ipv4-embedding'], // 6to4
  ['fc00::', 7, 'ipv6', 'private'], // unique local
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'private'], // site-local (deprecated)
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const LISTS = RANGES.map(([net, prefix, family, range]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { family, range, list };
});

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = text.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail ?? '');
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * An IP address as the guard judges it: an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, also
 * written `::ffff:a00:1`) is the IPv4 address it carries, so the IPv4 rules apply to it.
 * @example normaliseAddress('::ffff:7f00:1') // { address: '127.0.0.1', family: 4 }
 */
export function normaliseAddress(address: string): { address: string; family: 4 | 6 } {
  const family = isIP(address);
  if (family === 4) return { address, family: 4 };
  if (family !== 6) throw new TypeError(`Expected an IP address, got "${address}"`);
  const g = ipv6Groups(address);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [hi, lo] = [g[6]!, g[7]!];
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 4 };
  }
  return { address, family: 6 };
}

/**
 * The blocked range an IP address falls in, or null when it is an ordinary public address.
 * @example classifyAddress('169.254.169.254') // 'metadata'; classifyAddress('8.8.8.8') // null
 */
export function classifyAddress(address: string): BlockedRange | null {
  const n = normaliseAddress(address);
  const family = n.family === 4 ? 'ipv4' : 'ipv6';
  for (const entry of LISTS) if (entry.family === family && entry.list.check(n.address, family)) return entry.range;
  return null;
}
