import type { Database } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import { type ChainKey, chainHash, checkpointMac, GENESIS_HASH } from './chain';
import { type AuditKeys, NO_ORG } from './keys';

export type VerifyMode = 'incremental' | 'full';

export interface VerifyResult {
  ok: boolean;
  /** Rows checked in this run (before the first broken one). */
  checked: number;
  /** The first row that does not fit (absent when what is wrong is a missing tail). */
  firstBrokenId?: string;
  /** Why verification failed. */
  problem?: string;
  mode: VerifyMode;
  /** The seq verification started after: 0 for a full walk, else the checkpoint it trusted. */
  fromSeq: number;
}

interface Checkpoint {
  seq: number;
  hash: string;
  kind: 'legacy' | 'verified';
}

const PAGE = 5000;

/** Checkpoints of a chain whose MAC holds under a key this process has; forged ones are ignored. */
async function validCheckpoints(db: Kysely<Database>, keys: Pick<AuditKeys, 'byId'>, orgId: string | null) {
  const rows = await db
    .selectFrom('audit_checkpoints')
    .select(['seq', 'hash', 'kind', 'key_id', 'mac'])
    .where(sql<string>`coalesce(org_id, ${NO_ORG}::uuid)`, '=', orgId ?? NO_ORG)
    .orderBy('seq')
    .execute();
  return rows.filter((r) => {
    const key = keys.byId(r.key_id);
    return key && checkpointMac(key, { org_id: orgId, seq: r.seq, hash: r.hash, kind: r.kind }) === r.mac;
  });
}

function chainRows(db: Kysely<Database>, orgId: string | null, fromSeq: number, limit: number, keyed = true) {
  return db
    .selectFrom('audit_log')
    .select([
      'id',
      'org_id',
      'seq',
      'actor_type',
      'actor_id',
      'action',
      'target_type',
      'target_id',
      'request_id',
      'metadata',
      'created_at',
      'prev_hash',
      'hash',
    ])
    .$if(keyed, (qb) => qb.select('key_id'))
    .where((eb) => (orgId === null ? eb('org_id', 'is', null) : eb('org_id', '=', orgId)))
    .where('seq', '>=', fromSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/**
 * Walks one chain (an org's, or the platform's for null) in seq order through the `(org_id, seq)`
 * index, page by page, and names the first row whose sequence, link, key or MAC is wrong. Only
 * checkpoints whose MAC holds are trusted: `incremental` starts at the last one (after checking
 * that its row is still there, unchanged), `full` walks from the genesis. Unkeyed rows are
 * accepted only up to the chain's `legacy` checkpoint. On success, a `verified` checkpoint is
 * written at the head, so the next incremental run starts there.
 * @example const result = await verifyChain(deps, orgId, 'incremental');
 */
export async function verifyChain(
  deps: { db: Kysely<Database>; auditKeys: Pick<AuditKeys, 'byId' | 'current'> },
  orgId: string | null,
  mode: VerifyMode = 'incremental',
): Promise<VerifyResult> {
  const { db, auditKeys } = deps;
  // A schema before keying (a migration before it is blocked): unkeyed rows, no checkpoints.
  const keyed = auditKeys.current !== null;
  const checkpoints = keyed ? await validCheckpoints(db, auditKeys, orgId) : [];
  const bySeq = new Map(checkpoints.map((c) => [c.seq, c] as const));
  const legacyEnd = keyed ? (checkpoints.find((c) => c.kind === 'legacy')?.seq ?? 0) : Infinity;
  const last: Checkpoint | undefined = checkpoints.at(-1);
  const start = mode === 'incremental' && last && last.seq > 0 ? last : undefined;
  const fromSeq = start?.seq ?? 0;
  let expectedSeq = fromSeq + 1;
  let prevHash = start?.hash ?? GENESIS_HASH;
  let checked = 0;
  const broken = (problem: string, firstBrokenId?: string): VerifyResult => ({
    ok: false,
    checked,
    ...(firstBrokenId ? { firstBrokenId } : {}),
    problem,
    mode,
    fromSeq,
  });

  if (start) {
    const [row] = await chainRows(db, orgId, start.seq, 1);
    if (!row || row.seq !== start.seq) return broken(`rows up to the checkpoint at seq ${start.seq} are missing`);
    if (row.hash !== start.hash) return broken('a row differs from its checkpoint', row.id);
  }
  for (;;) {
    const rows = await chainRows(db, orgId, expectedSeq, PAGE, keyed);
    for (const row of rows) {
      if (row.seq !== expectedSeq) return broken(`seq ${expectedSeq} is missing`, row.id);
      if (row.prev_hash !== prevHash) return broken('the link to the previous row is broken', row.id);
      let key: ChainKey | null = null;
      if (!row.key_id) {
        if (row.seq > legacyEnd) return broken('an unkeyed row after the chain was keyed', row.id);
      } else {
        key = auditKeys.byId(row.key_id) ?? null;
        if (!key) return broken(`row names an unknown audit key`, row.id);
      }
      const { id, hash, key_id, prev_hash, ...fields } = row;
      if (chainHash(key, prevHash, fields) !== hash) return broken('the row was altered', id);
      const checkpoint = bySeq.get(row.seq);
      if (checkpoint && checkpoint.hash !== hash) return broken('a row differs from its checkpoint', id);
      checked++;
      expectedSeq++;
      prevHash = hash;
    }
    if (rows.length < PAGE) break;
  }
  const headSeq = expectedSeq - 1;
  if (last && headSeq < last.seq) return broken(`rows up to the checkpoint at seq ${last.seq} are missing`);
  const key = auditKeys.current;
  if (key && headSeq > (last?.seq ?? 0)) {
    const fields = { org_id: orgId, seq: headSeq, hash: prevHash, kind: 'verified' as const };
    await db
      .insertInto('audit_checkpoints')
      .values({ ...fields, key_id: key.id, mac: checkpointMac(key, fields) })
      .execute();
  }
  return { ok: true, checked, mode, fromSeq };
}
