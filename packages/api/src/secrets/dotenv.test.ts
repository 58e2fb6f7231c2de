import { parse } from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dotenvValue, toDotenv } from './dotenv';

/** Characters that dotenv treats specially, so that random values hit them often. */
const NASTY = [
  "'",
  '"',
  '`',
  '\\',
  '\n',
  '\r',
  '#',
  '$',
  '=',
  ' ',
  '\t',
  'n',
  'r',
  '\u2028',
  '\0',
  'é',
  '🔑',
  '{',
  '}',
];
const nastyValue = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 12 })
  .map((parts) => parts.join(''))
  .filter((v) => v.length > 0);
const secretName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$/);

const parsers = { regex: (text: string) => parse(text), fast: (text: string) => parse(text, { fast: true }) };

describe('toDotenv', () => {
  it.each(Object.entries(parsers))(
    'writes files that dotenv (%s parser) reads back to the same values',
    (_name, read) => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.tuple(secretName, nastyValue), { selector: ([name]) => name, maxLength: 8 }),
          (pairs) => {
            const entries = pairs
              .map(([name, value]) => ({ name, value }))
              .filter((e) => dotenvValue(e.value) !== undefined);
            expect(read(toDotenv(entries))).toEqual(Object.fromEntries(entries.map((e) => [e.name, e.value])));
          },
        ),
        { numRuns: 2000 },
      );
    },
  );

  it('round-trips the values people actually keep', () => {
    const values = {
      PEM: '-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n',
      HASH: 'abc#def # not a comment',
      DOLLAR: '$HOME ${PATH} $(whoami)',
      QUOTES: `it's "quoted"`,
      ALL_QUOTES: `'"\``,
      CRLF: 'line1\r\nline2',
      SPACES: '  padded  ',
      JSON: '{"a":"b\\n"}',
      EQUALS: 'a=b=c',
    };
    const entries = Object.entries(values).map(([name, value]) => ({ name, value }));
    const writable = entries.filter((e) => dotenvValue(e.value) !== undefined);
    expect(writable.map((e) => e.name)).toEqual([
      'PEM',
      'HASH',
      'DOLLAR',
      'QUOTES',
      'CRLF',
      'SPACES',
      'JSON',
      'EQUALS',
    ]);
    for (const read of Object.values(parsers)) {
      expect(read(toDotenv(writable))).toEqual(Object.fromEntries(writable.map((e) => [e.name, e.value])));
    }
  });

  it('refuses what no quoting carries, rather than writing a file that reads back different', () => {
    expect(dotenvValue('C:\\dir\\')).toBeUndefined();
    expect(dotenvValue(`'"\``)).toBeUndefined();
    expect(dotenvValue('"\r')).toBeUndefined();
    expect(dotenvValue('\\n\r')).toBeUndefined();
    expect(() => toDotenv([{ name: 'X', value: 'trailing\\' }])).toThrow(/"X"/);
  });
});
