import type { Database } from '@strongroom/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { auditKeyContext } from '../audit/keys';
import { infraContext } from '../infra-secrets/service';
import { secretContext } from '../secrets/store';

/** One sealed value as rotation sees it. */
export interface SealedRow {
  /** Keyset cursor of the row within its table. */
  cursor: string[];
  orgId: string | null;
  context: Record<string, string>;
  value: Uint8Array;
}

/** A column of sealed values: how to page through those not under a KEK, and swap one in place. */
export interface SealedSource {
  name: string;
  pending(db: Kysely<Database>, toKeyId: string): Promise<number>;
  page(db: Kysely<Database>, toKeyId: string, after: string[] | null, limit: number): Promise<SealedRow[]>;
  /** Compare-and-set: false when the value changed meanwhile (a writer got there first). */
  swap(trx: Transaction<Database>, row: SealedRow, rewrapped: Uint8Array, toKeyId: string): Promise<boolean>;
}

const bytes = (v: Uint8Array) => Buffer.from(v);

/** `pending` for a table whose every row holds a sealed value. */
const countNotUnder =
  (table: 'secret_versions' | 'infra_secrets' | 'audit_keys'): SealedSource['pending'] =>
  async (db, to) => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.table(table)} where kek_id is distinct from ${to}`.execute(db);
    return rows[0]!.n;
  };

/** A compare-and-set update took effect on exactly its one row. */
const swappedOne = (result: { numAffectedRows?: bigint }) => Number(result.numAffectedRows ?? 0) === 1;

/** Current values of secrets. */
const secrets: SealedSource = {
  name: 'secrets',
  async pending(db, to) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from secrets where value is not null and kek_id is distinct from ${to}`.execute(db);
    return rows[0]!.n;
  },
  async page(db, to, after, limit) {
    const { rows } = await sql<{ id: string; org_id: string; version: number; value: Uint8Array }>`
      select id, org_id, version, value from secrets
      where value is not null and kek_id is distinct from ${to} and id > ${after?.[0] ?? '00000000-0000-0000-0000-000000000000'}
      order by id limit ${limit}`.execute(db);
    return rows.map((r) => ({
      cursor: [r.id],
      orgId: r.org_id,
      context: secretContext({ orgId: r.org_id, secretId: r.id, version: r.version }),
      value: r.value,
    }));
  },
  async swap(trx, row, rewrapped, to) {
    const result = await sql`update secrets set value = ${bytes(rewrapped)}, kek_id = ${to}
      where id = ${row.cursor[0]} and value = ${bytes(row.value)}`.execute(trx);
    return swappedOne(result);
  },
};

/** Every version ever stored (history and rollback). */
const secretVersions: SealedSource = {
  name: 'secret_versions',
  pending: countNotUnder('secret_versions'),
  async page(db, to, after, limit) {
    const [afterId, afterVersion] = after ?? ['00000000-0000-0000-0000-000000000000', '0'];
    const { rows } = await sql<{ secret_id: string; version: number; org_id: string; value: Uint8Array }>`
      select v.secret_id, v.version, s.org_id, v.value from secret_versions v join secrets s on s.id = v.secret_id
      where v.kek_id is distinct from ${to} and (v.secret_id, v.version) > (${afterId}::uuid, ${Number(afterVersion)})
      order by v.secret_id, v.version limit ${limit}`.execute(db);
    return rows.map((r) => ({
      cursor: [r.secret_id, String(r.version)],
      orgId: r.org_id,
      context: secretContext({ orgId: r.org_id, secretId: r.secret_id, version: r.version }),
      value: r.value,
    }));
  },
  async swap(trx, row, rewrapped, to) {
    const result = await sql`update secret_versions set value = ${bytes(rewrapped)}, kek_id = ${to}
      where secret_id = ${row.cursor[0]} and version = ${Number(row.cursor[1])} and value = ${bytes(row.value)}`.execute(
      trx,
    );
    return swappedOne(result);
  },
};

/** Platform-level values (no org). */
const infraSecrets: SealedSource = {
  name: 'infra_secrets',
  pending: countNotUnder('infra_secrets'),
  async page(db, to, after, limit) {
    const { rows } = await sql<{ name: string; version: number; value: Uint8Array }>`
      select name, version, value from infra_secrets
      where kek_id is distinct from ${to} and name > ${after?.[0] ?? ''} order by name limit ${limit}`.execute(db);
    return rows.map((r) => ({
      cursor: [r.name],
      orgId: null,
      context: infraContext(r.name, r.version),
      value: r.value,
    }));
  },
  async swap(trx, row, rewrapped, to) {
    const result = await sql`update infra_secrets set value = ${bytes(rewrapped)}, kek_id = ${to}
      where name = ${row.cursor[0]} and value = ${bytes(row.value)}`.execute(trx);
    return swappedOne(result);
  },
};

/** The audit chain's HMAC keys (platform-level; re-wrapping leaves the key, and so every MAC, as it was). */
const auditKeys: SealedSource = {
  name: 'audit_keys',
  pending: countNotUnder('audit_keys'),
  async page(db, to, after, limit) {
    const { rows } = await sql<{ id: string; value: Uint8Array }>`
      select id, value from audit_keys
      where kek_id is distinct from ${to} and id > ${after?.[0] ?? ''} order by id limit ${limit}`.execute(db);
    return rows.map((r) => ({ cursor: [r.id], orgId: null, context: auditKeyContext(r.id), value: r.value }));
  },
  async swap(trx, row, rewrapped, to) {
    const result = await sql`update audit_keys set value = ${bytes(rewrapped)}, kek_id = ${to}
      where id = ${row.cursor[0]} and value = ${bytes(row.value)}`.execute(trx);
    return swappedOne(result);
  },
};

/** Every place a sealed value lives. A feature that stores sealed values adds its source here. */
export const SEALED_SOURCES: readonly SealedSource[] = [secrets, secretVersions, infraSecrets, auditKeys];
