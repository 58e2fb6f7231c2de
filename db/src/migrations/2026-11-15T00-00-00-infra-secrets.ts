import { type Kysely, sql } from 'kysely';

/**
 * Platform-level sealed values that belong to no org, such as the global AI Gateway token. Set by
 * an operator (`strongroom infra-secret set <name>`), read by workers (`internal.infraSecret`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table infra_secrets (
    name text primary key check (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    value bytea not null,
    kek_id text not null,
    version integer not null default 1 check (version >= 1),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table infra_secrets`.execute(db);
}
