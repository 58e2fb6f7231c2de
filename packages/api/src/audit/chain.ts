import { createHash } from 'node:crypto';

/** prev_hash of the first row of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an audit row that its hash covers. */
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
  prev_hash: string;
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

/** SHA-256 over the canonical row, chaining in the previous row's hash. */
export function rowHash(row: ChainedFields): string {
  return createHash('sha256')
    .update(canonicalJson({ ...row, created_at: row.created_at.toISOString() }))
    .digest('hex');
}
