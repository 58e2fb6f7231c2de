import { describe, expect, it } from 'vitest';
import { AddressGuardError, checkDestination, parseAllowlist, type Resolve } from '../src/index';

const none = parseAllowlist([], { setting: 'MCP_ALLOWED_HOSTS' });
const table =
  (entries: Record<string, string[]>): Resolve =>
  async (host) =>
    (entries[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(url: string, allow = none, resolve?: Resolve) {
  const err = await checkDestination(new URL(url), allow, resolve ? { resolve } : {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AddressGuardError);
  return err as AddressGuardError;
}

describe('parseAllowlist', () => {
  it('takes host names, addresses and CIDRs, from an array or a comma-separated setting', () => {
    const allow = parseAllowlist(' Localhost., 10.0.0.0/8 ,::1, fd00::/8 ,192.168.1.5', { setting: 'X' });
    expect([...allow.hosts]).toEqual(['localhost']);
    expect(allow.nets.check('10.9.9.9', 'ipv4')).toBe(true);
    expect(allow.nets.check('::1', 'ipv6')).toBe(true);
    expect(allow.nets.check('192.168.1.5', 'ipv4')).toBe(true);
    expect(allow.nets.check('192.168.1.6', 'ipv4')).toBe(false);
    expect(allow.setting).toBe('X');
    expect(parseAllowlist(['mcp.internal', '127.0.0.1']).hosts.has('mcp.internal')).toBe(true);
  });

  it.each(['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/1', 'http://x', 'bad host', '::1/129', '-leading.example'])(
    'refuses the malformed entry %s, naming the setting',
    (entry) => {
      expect(() => parseAllowlist(['ok.example', entry], { setting: 'MCP_ALLOWED_HOSTS' })).toThrow(
        expect.objectContaining({
          code: 'INVALID_ALLOWLIST',
          message: expect.stringMatching(/^Expected MCP_ALLOWED_HOSTS/),
        }),
      );
    },
  );
});

describe('checkDestination', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['http://[fd00:ec2::254]/', /cloud metadata/],
    ['http://127.0.0.1:8080/', /loopback/],
    ['http://10.1.2.3/', /private-network/],
    ['http://[::1]/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::127.0.0.1]/', /embeds an IPv4/],
    ['http://[64:ff9b:1::a9fe:a9fe]/', /embeds an IPv4/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://2130706433/', /loopback/],
    ['http://0x7f.1/', /loopback/],
  ])('refuses %s by default, saying why and where to allow it', async (url, why) => {
    const err = await refusal(url);
    expect(err.code).toBe('BLOCKED_ADDRESS');
    expect(err.message).toMatch(why);
    expect(err.message).toMatch(/allow it in MCP_ALLOWED_HOSTS/);
  });

  it('checks every address a name resolves to: one private address among public ones is refused', async () => {
    const resolve = table({ 'mixed.example': ['93.184.215.14', '10.0.0.7'], 'public.example': ['93.184.215.14'] });
    const err = await refusal('https://mixed.example/mcp', none, resolve);
    expect(err.message).toBe(
      'mixed.example resolves to 10.0.0.7, which is a private-network address; an operator can allow it in MCP_ALLOWED_HOSTS',
    );
    await expect(checkDestination(new URL('https://public.example/'), none, { resolve })).resolves.toEqual({
      host: 'public.example',
      addresses: [{ address: '93.184.215.14', family: 4 }],
    });
  });

  it('allows what the allowlist names: a host, an address, a CIDR — and nothing next to it', async () => {
    const resolve = table({ 'mcp.internal': ['10.0.0.7', 'fd00::7'] });
    const byName = parseAllowlist(['mcp.internal']);
    await expect(checkDestination(new URL('http://mcp.internal/'), byName, { resolve })).resolves.toMatchObject({
      addresses: [{ address: '10.0.0.7' }, { address: 'fd00::7' }],
    });
    await expect(checkDestination(new URL('http://10.1.2.3/'), parseAllowlist(['10.0.0.0/8']))).resolves.toMatchObject({
      addresses: [{ address: '10.1.2.3', family: 4 }],
    });
    const loopback = parseAllowlist(['127.0.0.1']);
    await expect(checkDestination(new URL('http://127.0.0.1/'), loopback)).resolves.toBeTruthy();
    await expect(checkDestination(new URL('http://[::ffff:127.0.0.1]/'), loopback)).resolves.toBeTruthy();
    expect((await refusal('http://127.0.0.2/', loopback)).code).toBe('BLOCKED_ADDRESS');
    // Allowing an address does not allow a name that merely resolves to another private one.
    expect((await refusal('http://mcp.internal/', parseAllowlist(['10.0.0.7']), resolve)).message).toMatch(/fd00::7/);
  });

  it('refuses schemes other than http and https', async () => {
    expect((await refusal('file:///etc/passwd')).code).toBe('UNSUPPORTED_PROTOCOL');
    expect((await refusal('ftp://8.8.8.8/')).code).toBe('UNSUPPORTED_PROTOCOL');
  });

  it('says when a name does not resolve', async () => {
    const err = await refusal('http://nowhere.invalid/');
    expect(err.code).toBe('UNRESOLVED');
    expect((await refusal('http://empty.example/', none, table({}))).code).toBe('UNRESOLVED');
  });
});
