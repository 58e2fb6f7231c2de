import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainHash, hmacSha256 } from './chain';

describe('hmacSha256', () => {
  it('is the MAC createHmac computes, for any text and key length, across calls that reuse its buffers', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 1500 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (raw, texts) => {
          const key = createSecretKey(raw);
          for (const text of texts)
            expect(hmacSha256(key)(text)).toBe(createHmac('sha256', key).update(text).digest('hex'));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('keeps one key per MAC function, whichever was used last', () => {
    const a = createSecretKey(randomBytes(32));
    const b = createSecretKey(randomBytes(32));
    const [macA, macB] = [hmacSha256(a), hmacSha256(b)];
    expect(macA('row')).toBe(createHmac('sha256', a).update('row').digest('hex'));
    expect(macB('row')).toBe(createHmac('sha256', b).update('row').digest('hex'));
    expect(hmacSha256(a)).toBe(macA);
  });
});

/** The generic form the row's text is defined by: sorted keys at every depth, no whitespace. */
function referenceJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(referenceJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

describe('chainHash', () => {
  it('hashes the canonical JSON of the row and its previous hash, whatever the metadata', () => {
    const text = fc.option(fc.string({ unit: 'binary' }), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          org_id: fc.option(fc.uuid(), { nil: null }),
          seq: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          actor_type: fc.string(),
          actor_id: text,
          action: fc.string(),
          target_type: text,
          target_id: text,
          request_id: text,
          metadata: fc.jsonValue(),
          created_at: fc.date({ min: new Date(0), max: new Date(2 ** 42), noInvalidDate: true }),
        }),
        fc.string(),
        (fields, prev) => {
          const canonical = referenceJson({ ...fields, created_at: fields.created_at.toISOString(), prev_hash: prev });
          const expected = createHash('sha256').update(canonical).digest('hex');
          expect(chainHash(null, prev, fields)).toBe(expected);
          expect(chainHash(null, prev, { ...fields, created_at: fields.created_at.toISOString() })).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
