import { type Kysely, sql } from 'kysely';

/**
 * A keyed audit chain. Rows name the HMAC key that chains them (`key_id`; null for the unkeyed
 * SHA-256 rows written before this migration); the key itself is sealed under the KEK in
 * `audit_keys`, so someone who can only write to the database cannot recompute the chain.
 * Checkpoints record a verified chain head, MACed, so verification can resume from the last one.
 * TRUNCATE is refused like UPDATE and DELETE. `(org_id, seq)` serves `audit.list` and verification
 * (the older unique index on `coalesce(org_id, …), seq` keeps one sequence per chain).
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of [
    sql`alter table audit_log add column key_id text`,
    sql`create index audit_log_org_seq on audit_log (org_id, seq)`,
    sql`create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function audit_log_append_only()`,
    sql`create table audit_keys (
      id text primary key check (id ~ '^[a-z0-9-]{1,64}$'),
      value bytea not null,
      kek_id text not null,
      created_at timestamptz not null default now()
    )`,
    // The key is re-wrapped by KEK rotation (an update) but never removed.
    sql`create function audit_keys_kept() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_keys rows are never removed';
    end;
    $$`,
    sql`create trigger audit_keys_kept before delete on audit_keys
      for each row execute function audit_keys_kept()`,
    sql`create trigger audit_keys_no_truncate before truncate on audit_keys
      for each statement execute function audit_keys_kept()`,
    sql`create table audit_checkpoints (
      id uuid primary key default gen_random_uuid(),
      org_id uuid,
      seq integer not null check (seq >= 0),
      hash text not null,
      kind text not null check (kind in ('legacy', 'verified')),
      key_id text not null references audit_keys (id),
      mac text not null,
      created_at timestamptz not null default now()
    )`,
    sql`create index audit_checkpoints_chain
      on audit_checkpoints (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), seq)`,
    sql`create trigger audit_checkpoints_append_only before update or delete on audit_checkpoints
      for each row execute function audit_log_append_only()`,
    sql`create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints
      for each statement execute function audit_log_append_only()`,
  ]) {
    await statement.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of [
    sql`drop table audit_checkpoints`,
    sql`drop table audit_keys`,
    sql`drop function audit_keys_kept()`,
    sql`drop trigger audit_log_no_truncate on audit_log`,
    sql`drop index audit_log_org_seq`,
    sql`alter table audit_log drop column key_id`,
  ]) {
    await statement.execute(db);
  }
}
