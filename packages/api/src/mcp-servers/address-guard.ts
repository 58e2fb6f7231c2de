import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Outbound requests to user-supplied URLs (MCP validation) are an SSRF surface. These ranges are
 * refused unless MCP_ALLOWED_HOSTS names the host or a CIDR that contains the address.
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local, incl. fd00:ec2::254 (AWS metadata over IPv6)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64: embeds IPv4
  ['2002::', 16], // 6to4: embeds IPv4
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 it is. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export interface Allowlist {
  hosts: Set<string>;
  nets: BlockList;
}

/** Parses MCP_ALLOWED_HOSTS entries: host names, IP addresses, or CIDRs. */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const hosts = new Set<string>();
  const nets = new BlockList();
  for (const entry of entries) {
    const [ip, bits] = entry.split('/');
    const family = isIP(ip ?? '');
    if (family && bits !== undefined) nets.addSubnet(ip!, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    else if (family) nets.addAddress(ip!, family === 6 ? 'ipv6' : 'ipv4');
    else hosts.add(entry.toLowerCase());
  }
  return { hosts, nets };
}

export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

/**
 * Resolves a URL's host and checks every address it resolves to; returns the address to connect
 * to, so the connection goes where the check looked (no second lookup a DNS rebind could change).
 * @example const { address, family } = await checkDestination(new URL(url), allowlist);
 */
export async function checkDestination(url: URL, allow: Allowlist): Promise<{ address: string; family: 4 | 6 }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new BlockedAddressError('only http and https URLs are allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const hostAllowed = allow.hosts.has(host);
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) as 4 | 6 }]
    : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new BlockedAddressError(`${host} did not resolve`);
  for (const { address } of addresses) {
    const n = normalise(address);
    if (hostAllowed || allow.nets.check(n.address, n.family)) continue;
    if (BLOCKED.check(n.address, n.family)) {
      throw new BlockedAddressError(
        `${host} resolves to ${address}, a private, loopback, link-local or metadata address; add it to MCP_ALLOWED_HOSTS to allow it`,
      );
    }
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family as 4 | 6 };
}
