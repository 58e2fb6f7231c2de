import type { AuditRow, Database, Statement, Storage } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import { type ChainedFields, type ChainKey, chainHash, checkpointMac, GENESIS_HASH } from './chain';
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

/** Rows per page: large enough that round trips are few, small enough that one page's hashing is a short block. */
const PAGE = 4000;

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

/** A row as the page query returns it: what the hash covers (the org is the chain's), its hashes and key. */
type ChainRow = Omit<ChainedFields, 'org_id' | 'created_at'> &
  Pick<AuditRow, 'prev_hash' | 'hash' | 'key_id'> & {
    /** As `Date.toISOString()` writes it (milliseconds, truncated like a Date). */
    created_at: string;
  };

/**
 * A page of one chain from seq $2 on, through the unique (chain, seq) index; $1 is the chain
 * (NO_ORG for the platform's). Only what the hash covers: the org is known, the id is looked up
 * for a broken row alone, and the time comes as the text the hash covers (parsing it into a
 * Date to print it again cost more than anything but the MAC).
 */
const pageStatement = (keyed: boolean): Statement => ({
  name: keyed ? 'strongroom_audit_verify_page_v1' : 'strongroom_audit_verify_page_unkeyed_v1',
  text: `
    select seq, actor_type, actor_id, action, target_type, target_id, request_id, metadata,
      to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at, prev_hash, hash,
      ${keyed ? 'key_id' : 'null::text as key_id'}
    from audit_log
    where coalesce(org_id, '${NO_ORG}'::uuid) = $1::uuid and seq >= $2
    order by seq
    limit $3`,
});

const ROW_ID: Statement = {
  name: 'strongroom_audit_row_id_v1',
  text: `select id from audit_log where coalesce(org_id, '${NO_ORG}'::uuid) = $1::uuid and seq = $2`,
};

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
  deps: {
    db: Kysely<Database>;
    storage: Pick<Storage, 'query'>;
    auditKeys: Pick<AuditKeys, 'byId' | 'current'>;
  },
  orgId: string | null,
  mode: VerifyMode = 'incremental',
): Promise<VerifyResult> {
  const { db, storage, auditKeys } = deps;
  const chain = orgId ?? NO_ORG;
  // A schema before keying (a migration before it is blocked): unkeyed rows, no checkpoints.
  const keyed = auditKeys.current !== null;
  const statement = pageStatement(keyed);
  const page = (from: number, limit: number) => storage.query<ChainRow>(statement, [chain, from, limit]);
  const checkpoints = keyed ? await validCheckpoints(db, auditKeys, orgId) : [];
  const bySeq = new Map(checkpoints.map((c) => [c.seq, c] as const));
  const legacyEnd = keyed ? (checkpoints.find((c) => c.kind === 'legacy')?.seq ?? 0) : Infinity;
  const last: Checkpoint | undefined = checkpoints.at(-1);
  const start = mode === 'incremental' && last && last.seq > 0 ? last : undefined;
  const fromSeq = start?.seq ?? 0;
  let expectedSeq = fromSeq + 1;
  let prevHash = start?.hash ?? GENESIS_HASH;
  let checked = 0;
  const broken = async (problem: string, seq?: number): Promise<VerifyResult> => {
    const [row] = seq === undefined ? [] : await storage.query<{ id: string }>(ROW_ID, [chain, seq]);
    return { ok: false, checked, ...(row ? { firstBrokenId: row.id } : {}), problem, mode, fromSeq };
  };

  if (start) {
    const [row] = await page(start.seq, 1);
    if (!row || row.seq !== start.seq) return broken(`rows up to the checkpoint at seq ${start.seq} are missing`);
    if (row.hash !== start.hash) return broken('a row differs from its checkpoint', row.seq);
  }
  // The next page is read while this one is hashed.
  let next = page(expectedSeq, PAGE);
  for (;;) {
    const rows = await next;
    if (rows.length === PAGE) {
      next = page(rows.at(-1)!.seq + 1, PAGE);
      // Awaited on the next turn of the loop; a break found first leaves it unread.
      next.catch(() => {});
    }
    for (const row of rows) {
      if (row.seq !== expectedSeq) return broken(`seq ${expectedSeq} is missing`, row.seq);
      if (row.prev_hash !== prevHash) return broken('the link to the previous row is broken', row.seq);
      let key: ChainKey | null = null;
      if (!row.key_id) {
        if (row.seq > legacyEnd) return broken('an unkeyed row after the chain was keyed', row.seq);
      } else {
        key = auditKeys.byId(row.key_id) ?? null;
        if (!key) return broken(`row names an unknown audit key`, row.seq);
      }
      if (chainHash(key, prevHash, { ...row, org_id: orgId }) !== row.hash)
        return broken('the row was altered', row.seq);
      const checkpoint = bySeq.get(row.seq);
      if (checkpoint && checkpoint.hash !== row.hash) return broken('a row differs from its checkpoint', row.seq);
      checked++;
      expectedSeq++;
      prevHash = row.hash;
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
