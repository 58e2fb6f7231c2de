import { BlockList, isIP } from 'node:net';
import { AddressGuardError } from './errors';
import { normaliseAddress } from './classify';

/** Destinations an operator allows although they are in a blocked range. */
export interface Allowlist {
  /** Host names whose every address is allowed (lower case, no trailing dot). */
  readonly hosts: ReadonlySet<string>;
  /** Addresses and CIDRs allowed whatever name led to them. */
  readonly nets: BlockList;
  /** The setting that holds the list, named in refusals so an operator knows where to look. */
  readonly setting: string;
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses allowlist entries — host names, IP addresses and CIDRs — given as an array or as one
 * comma- or space-separated string (an environment variable). A malformed entry throws at once
 * (INVALID_ALLOWLIST), so bad configuration fails at start, not at first use.
 * @example const allow = parseAllowlist(process.env.MCP_ALLOWED_HOSTS ?? '', { setting: 'MCP_ALLOWED_HOSTS' });
 */
export function parseAllowlist(entries: string | readonly string[], options: { setting?: string } = {}): Allowlist {
  const setting = options.setting ?? 'the allowlist';
  const list = typeof entries === 'string' ? entries.split(/[\s,]+/) : entries;
  const hosts = new Set<string>();
  const nets = new BlockList();
  for (const raw of list) {
    const entry = raw
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '');
    if (!entry) continue;
    const [ip = '', bits, extra] = entry.split('/');
    const family = isIP(ip);
    try {
      if (family && bits !== undefined && extra === undefined && /^\d{1,3}$/.test(bits)) {
        nets.addSubnet(ip, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
      } else if (family && bits === undefined) {
        const n = normaliseAddress(ip);
        nets.addAddress(n.address, n.family === 6 ? 'ipv6' : 'ipv4');
      } else if (!family && bits === undefined && HOST_NAME.test(entry.replace(/\.$/, ''))) {
        hosts.add(entry.replace(/\.$/, ''));
      } else throw new Error('malformed');
    } catch (err) {
      throw new AddressGuardError(
        'INVALID_ALLOWLIST',
        `Expected ${setting} entries to be host names, IP addresses or CIDRs; "${raw.trim()}" is none of these`,
        { cause: err },
      );
    }
  }
  return Object.freeze({ hosts, nets, setting });
}

/** Whether the allowlist lets `address` through when it was reached by the name `host`. */
export function isAllowed(allow: Allowlist, host: string, address: string): boolean {
  if (allow.hosts.has(host)) return true;
  const n = normaliseAddress(address);
  return allow.nets.check(n.address, n.family === 6 ? 'ipv6' : 'ipv4');
}
