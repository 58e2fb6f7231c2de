import { createHash, createHmac, type KeyObject } from 'node:crypto';
import type { AuditRow } from '@strongroom/db';

/** prev_hash of the first row of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** An HMAC key of the audit chain, opened from its sealed row at start-up. */
export interface ChainKey {
  readonly id: string;
  readonly secret: KeyObject;
}

/** The fields of an audit row that its hash covers (besides the previous hash and the key id). */
export type ChainedFields = Omit<AuditRow, 'id' | 'prev_hash' | 'hash' | 'key_id' | 'metadata' | 'created_at'> & {
  /** Any JSON: hashed in canonical form, so jsonb's key order cannot change it. */
  metadata: unknown;
  /** A Date, or its `toISOString()` (verification has the database write it so). */
  created_at: Date | string;
};

/** JSON with object keys sorted at every depth, so jsonb's reordering cannot change a hash. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  // Written out by hand: verification runs this for every row. sort() orders by UTF-16 units, as `<` does.
  const record = value as Record<string, unknown>;
  let out = '';
  for (const k of Object.keys(record).sort()) {
    const v = record[k];
    if (v !== undefined) out += `${out ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `{${out}}`;
}

/**
 * The hash of one audit row: HMAC-SHA256 under `key` over the canonical row, its key id and the
 * previous row's hash. With `key` null it is the unkeyed SHA-256 that rows written before keying
 * carry (verification accepts those only up to the chain's legacy checkpoint).
 * @example const hash = chainHash(keys.current, head.hash, fields);
 */
export function chainHash(key: ChainKey | null, prevHash: string, fields: ChainedFields): string {
  const text = canonicalRow(key?.id ?? null, prevHash, fields);
  // node:crypto's Hmac, not a faster construction of our own: the chain's MAC is not ours to hand-roll.
  return (key ? createHmac('sha256', key.secret) : createHash('sha256')).update(text).digest('hex');
}

const str = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));

/**
 * `canonicalJson` of the row with its key id (when keyed) and previous hash, written out with the
 * keys already in order: verification runs this for every row, and the generic walk costs most of it.
 */
function canonicalRow(keyId: string | null, prevHash: string, f: ChainedFields): string {
  return (
    `{"action":${str(f.action)},"actor_id":${str(f.actor_id)},"actor_type":${str(f.actor_type)}` +
    `,"created_at":${str(typeof f.created_at === 'string' ? f.created_at : f.created_at.toISOString())}${keyId === null ? '' : `,"key_id":${str(keyId)}`}` +
    `,"metadata":${canonicalJson(f.metadata)},"org_id":${str(f.org_id)},"prev_hash":${str(prevHash)}` +
    `,"request_id":${str(f.request_id)},"seq":${JSON.stringify(f.seq)},"target_id":${str(f.target_id)}` +
    `,"target_type":${str(f.target_type)}}`
  );
}

/** What a checkpoint vouches for: the row `seq` of a chain had hash `hash`. */
export interface CheckpointFields {
  org_id: string | null;
  seq: number;
  hash: string;
  kind: 'legacy' | 'verified';
}

/** The MAC of a checkpoint, so that one cannot be written or moved without the key. */
export function checkpointMac(key: ChainKey, checkpoint: CheckpointFields): string {
  return createHmac('sha256', key.secret)
    .update(canonicalJson({ checkpoint: { ...checkpoint, key_id: key.id } }))
    .digest('hex');
}
