import { describe, expect, it } from 'vitest';
import { canonicalContext, CryptoError } from '../src/index';

const hex = (context: Record<string, string>) => canonicalContext(context).toString('hex');
const invalid = (context: unknown) => {
  expect(() => canonicalContext(context as Record<string, string>)).toThrow(CryptoError);
  expect(() => canonicalContext(context as Record<string, string>)).toThrow(
    expect.objectContaining({ code: 'INVALID_INPUT' }),
  );
};

describe('canonicalContext', () => {
  it('is the documented bytes: count, then sorted length-prefixed pairs', () => {
    expect(hex({ version: '2', org_id: 'o1' })).toBe(
      '0002' +
        '0006' +
        Buffer.from('org_id').toString('hex') +
        '00000002' +
        Buffer.from('o1').toString('hex') +
        '0007' +
        Buffer.from('version').toString('hex') +
        '00000001' +
        Buffer.from('2').toString('hex'),
    );
    expect(hex({})).toBe('0000');
  });

  it('does not depend on insertion order', () => {
    expect(hex({ a: '1', b: '2', c: '3' })).toBe(hex({ c: '3', a: '1', b: '2' }));
  });

  it.each([
    [{ a: 'b,c' }, { a: 'b', c: '' }],
    [{ a: 'b', c: '' }, { 'a:b': ',c' }],
    [{ ab: 'c' }, { a: 'bc' }],
    [{ a: '' }, {}],
    [{ a: 'x\u0000b' }, { a: 'x', b: '' }],
  ])('is unambiguous: %j and %j differ', (one, other) => {
    expect(hex(one)).not.toBe(hex(other));
  });

  it('encodes non-ASCII text as UTF-8 with byte lengths', () => {
    const bytes = canonicalContext({ é: '秘密' });
    expect(bytes.readUInt16BE(2)).toBe(2); // 'é' is two bytes
    expect(bytes.readUInt32BE(6)).toBe(6); // '秘密' is six
    expect(bytes.subarray(10).toString('utf8')).toBe('秘密');
  });

  it('long values: a length prefix with bytes above 0x7f stays exact', () => {
    const value = 'v'.repeat(200);
    expect(canonicalContext({ k: value }).readUInt32BE(5)).toBe(200);
  });

  it('Precondition: a context is an object of string values', () => {
    for (const bad of [null, 'org', ['a'], 7]) invalid(bad);
  });

  it('Precondition: context keys are non-empty and values are strings', () => {
    invalid({ '': 'x' });
    for (const value of [1, null, undefined, true, { a: 'b' }, ['x']]) invalid({ org_id: value });
  });

  it('Precondition: context text is well-formed UTF-16', () => {
    invalid({ a: '\ud800' });
    invalid({ '\udc00x': 'v' });
    // A lone surrogate and U+FFFD would both encode as EF BF BD: refusing the former keeps it unambiguous.
    expect(() => canonicalContext({ a: '\ufffd' })).not.toThrow();
    expect(() => canonicalContext({ a: '🔑' })).not.toThrow();
  });

  it('Precondition: each context key is at most 65535 bytes', () => {
    invalid({ ['k'.repeat(65_536)]: 'v' });
    invalid({ ['é'.repeat(32_768)]: 'v' });
    expect(() => canonicalContext({ ['k'.repeat(65_535)]: 'v' })).not.toThrow();
  });

  it('Precondition: a context has at most 65535 pairs', () => {
    invalid(Object.fromEntries(Array.from({ length: 65_536 }, (_, i) => [`k${i}`, ''])));
  });
});
