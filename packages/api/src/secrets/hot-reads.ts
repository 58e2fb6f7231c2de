import type { SecretRow, Statement, Storage } from '@strongroom/db';
import { createBatcher } from '../core/batcher';
import { countUseSql } from '../core/rate-limit';
import type { UsedBy } from './schemas';
import { rotationDueSql } from './store';

/** What `secrets.get` shows: the row's metadata and what references it. */
export type SecretMetaRow = Pick<
  SecretRow,
  | 'id'
  | 'org_id'
  | 'name'
  | 'namespace'
  | 'scope'
  | 'description'
  | 'version'
  | 'created_at'
  | 'updated_at'
  | 'rotated_at'
  | 'created_by'
  | 'revealable'
  | 'rotation_period_days'
> & { used_by: UsedBy[]; rotation_due: boolean };

/** $1 secret, $2 org: the metadata and referrers (providers first) in one round trip. */
const SECRET_META: Statement = {
  name: 'strongroom_secret_meta_v2',
  text: `
    select s.id, s.org_id, s.name, s.namespace, s.scope, s.description, s.version, s.created_at, s.updated_at,
      s.rotated_at, s.created_by, s.revealable, s.rotation_period_days, ${rotationDueSql('s')} as rotation_due,
      coalesce((select json_agg(u) from (
        select 'provider' as type, p.id, p.name from providers p where p.org_id = s.org_id and p.secret_ref = s.id
        union all
        select 'mcpServer' as type, m.id, m.name from mcp_servers m where m.org_id = s.org_id and m.secret_ref = s.id
      ) u), '[]'::json) as used_by
    from secrets s where s.id = $1 and s.org_id = $2`,
};

/**
 * $1 rate-limit key, $2 window ms, $3 secret ids, $4 org, $5 how many: counts a batch of reveals
 * and reads each one's envelope, one round trip. The count commits without waiting for the WAL
 * flush: every reveal of a person updates one row, and waiting for the disk while holding its lock
 * would queue them all behind it. Counts are exact while Postgres runs; a crash may forget the
 * last few (a rate limit, not a record: the reveal's audit row commits durably).
 */
const REVEAL_READ: Statement = {
  name: 'strongroom_reveal_read_v3',
  text: `
    with relaxed as (select set_config('synchronous_commit', 'off', true)),
      counted as (${countUseSql('$5::int')})
    select counted.count, counted.window_start, s.id, s.org_id, s.version, s.value, s.revealable
    from relaxed, counted
      cross join unnest($3::uuid[]) with ordinality as wanted(id, ord)
      left join secrets s on s.id = wanted.id and s.org_id = $4
    order by wanted.ord`,
};

interface RevealRead {
  /** This reveal's place in the window's count. */
  count: number;
  window_start: Date;
  id: string | null;
  org_id: string | null;
  version: number | null;
  value: Uint8Array | null;
  revealable: boolean | null;
}

export async function readSecretMeta(storage: Pick<Storage, 'query'>, orgId: string, id: string) {
  const [row] = await storage.query<SecretMetaRow>(SECRET_META, [id, orgId]);
  return row;
}

/**
 * Counts reveals against their rate-limit key and reads each secret's envelope, whether or not the
 * secret exists (a missing one still counts, so probing ids costs the same as revealing).
 * Concurrent reveals under one key are counted in one statement, each given its own place in the
 * count, so the limit is exact and a person's reveals do not queue on the counter's row lock.
 * @example const row = await reveals.countAndRead({ limitKey, windowMs, orgId, id });
 */
export function createRevealReads(storage: Pick<Storage, 'query'>) {
  type Reveal = { limitKey: string; windowMs: number; orgId: string; id: string };
  // Every reveal of a batch shares its key, so the first one names the counter and the org.
  const batches = createBatcher<Reveal, RevealRead>(async (_key, reveals) => {
    const { limitKey, windowMs, orgId } = reveals[0]!;
    const ids = reveals.map((r) => r.id);
    const rows = await storage.query<RevealRead>(REVEAL_READ, [limitKey, windowMs, ids, orgId, ids.length]);
    // The statement's count includes the whole batch: the i-th reveal is at count − n + 1 + i.
    return rows.map((row, i) => ({ ...row, count: row.count - ids.length + 1 + i }));
  });
  return {
    countAndRead(input: Reveal): Promise<RevealRead> {
      return batches.add(`${input.limitKey}\n${input.windowMs}\n${input.orgId}`, input);
    },
  };
}

export type RevealReads = ReturnType<typeof createRevealReads>;
