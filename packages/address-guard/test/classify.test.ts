import { describe, expect, it } from 'vitest';
import { classifyAddress, normaliseAddress } from '../src/index';

describe('classifyAddress', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.10', 'private'],
    ['fd12:3456::1', 'private'],
    ['100.100.100.200', 'shared'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::127.0.0.1', 'ipv4-embedding'],
    ['::7f00:1', 'ipv4-embedding'],
    ['::8.8.8.8', 'ipv4-embedding'],
    ['64:ff9b::a00:1', 'ipv4-embedding'],
    ['64:ff9b:1::a00:1', 'ipv4-embedding'],
    ['64:ff9b:1:ffff::1', 'ipv4-embedding'],
    ['2002:7f00:1::', 'ipv4-embedding'],
    ['2001:0:4136:e378::1', 'ipv4-embedding'],
    ['::ffff:0:7f00:1', 'ipv4-embedding'],
  ])('blocks %s as %s', (address, range) => {
    expect(classifyAddress(address)).toBe(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b:2::1', '172.32.0.1'])(
    'lets the public address %s through',
    (address) => {
      expect(classifyAddress(address)).toBeNull();
    },
  );

  it('judges an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    expect(normaliseAddress('::ffff:a00:1')).toEqual({ address: '10.0.0.1', family: 4 });
    expect(normaliseAddress('::ffff:10.0.0.1')).toEqual({ address: '10.0.0.1', family: 4 });
    expect(normaliseAddress('2001:db8::1')).toEqual({ address: '2001:db8::1', family: 6 });
  });

  it('refuses what is not an IP address', () => {
    expect(() => classifyAddress('localhost')).toThrow(TypeError);
  });
});
