import { createHash, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainHash } from './chain';

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
          const key = { id: 'k1', secret: createSecretKey(randomBytes(32)) };
          const keyed = referenceJson({
            ...fields,
            created_at: fields.created_at.toISOString(),
            key_id: 'k1',
            prev_hash: prev,
          });
          expect(chainHash(key, prev, fields)).toBe(createHmac('sha256', key.secret).update(keyed).digest('hex'));
        },
      ),
      { numRuns: 200 },
    );
  });
});
