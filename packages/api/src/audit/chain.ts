import { createHash, createHmac, type KeyObject } from 'node:crypto';

/** prev_hash of the first row of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** An HMAC key of the audit chain, opened from its sealed row at start-up. */
export interface ChainKey {
  readonly id: string;
  readonly secret: KeyObject;
}

/** The fields of an audit row that its hash covers (besides the previous hash and the key id). */
export interface ChainedFields {
  org_id: string | null;
  seq: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  metadata: unknown;
  created_at: Date;
}

/** JSON with object keys sorted at every depth, so jsonb's reordering cannot change a hash. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The hash of one audit row: HMAC-SHA256 under `key` over the canonical row, its key id and the
 * previous row's hash. With `key` null it is the unkeyed SHA-256 that rows written before keying
 * carry (verification accepts those only up to the chain's legacy checkpoint).
 * @example const hash = chainHash(keys.current, head.hash, fields);
 */
export function chainHash(key: ChainKey | null, prevHash: string, fields: ChainedFields): string {
  const text = canonicalRow(key?.id ?? null, prevHash, fields);
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
    `,"created_at":${str(f.created_at.toISOString())}${keyId === null ? '' : `,"key_id":${str(keyId)}`}` +
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
