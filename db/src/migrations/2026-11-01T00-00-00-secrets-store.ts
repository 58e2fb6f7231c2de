import { type Kysely, sql } from 'kysely';

/**
 * The secrets store: sealed values with versions and history, grants that name groups or
 * agents, hashed API tokens, a hash-chained audit log and Postgres-held rate limits.
 * Legacy plaintext values move to `legacy_value`; the server seals them on start.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of [
    sql`
    alter table secrets rename column value to legacy_value
    `,
    sql`
    alter table secrets alter column legacy_value drop not null
    `,
    sql`
    alter table secrets
      add column value bytea,
      add column kek_id text,
      add column namespace text not null default 'default',
      add column scope text not null default 'org' check (scope in ('org', 'agent')),
      add column description text not null default '',
      add column version integer not null default 1 check (version >= 1),
      add column rotated_at timestamptz,
      add column created_by uuid references users (id) on delete set null,
      add column updated_by uuid references users (id) on delete set null,
      add constraint secrets_value_present check (value is not null or legacy_value is not null),
      drop constraint secrets_org_name_unique,
      add constraint secrets_org_namespace_name_unique unique (org_id, namespace, name)
    `,
    sql`
    create table secret_versions (
      secret_id uuid not null references secrets (id) on delete cascade,
      version integer not null,
      value bytea not null,
      kek_id text not null,
      created_at timestamptz not null default now(),
      created_by uuid references users (id) on delete set null,
      primary key (secret_id, version)
    )
    `,
    sql`
    create table secret_grants (
      secret_id uuid not null references secrets (id) on delete cascade,
      grantee_type text not null check (grantee_type in ('group', 'agent')),
      grantee_id uuid not null,
      created_at timestamptz not null default now(),
      created_by uuid references users (id) on delete set null,
      primary key (secret_id, grantee_type, grantee_id)
    )
    `,
    sql`
    create index secret_grants_grantee on secret_grants (grantee_type, grantee_id)
    `,
    sql`
    insert into secret_grants (secret_id, grantee_type, grantee_id, created_at)
      select secret_id, 'group', group_id, created_at from chat_secrets
    `,
    sql`
    drop table chat_secrets
    `,
    sql`
    create table api_tokens (
      id uuid primary key default gen_random_uuid(),
      org_id uuid not null references orgs (id) on delete cascade,
      user_id uuid references users (id) on delete cascade,
      kind text not null check (kind in ('user', 'worker')),
      name text not null,
      token_hash bytea not null unique,
      token_hint text not null,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      constraint api_tokens_user_kind check ((kind = 'user') = (user_id is not null))
    )
    `,
    sql`
    create index api_tokens_org on api_tokens (org_id)
    `,
    sql`
    create table audit_log (
      id uuid primary key default gen_random_uuid(),
      org_id uuid,
      seq integer not null,
      actor_type text not null,
      actor_id uuid,
      action text not null,
      target_type text,
      target_id text,
      request_id text,
      metadata jsonb not null default '{}',
      created_at timestamptz not null default now(),
      prev_hash text not null,
      hash text not null
    )
    `,
    sql`
    create unique index audit_log_chain_seq
      on audit_log (coalesce(org_id, '00000000-0000-0000-0000-000000000000'::uuid), seq)
    `,
    sql`
    create index audit_log_org_created on audit_log (org_id, created_at desc)
    `,
    sql`
    -- Append-only: the application never updates or deletes audit rows. The hash chain, not this
    -- trigger, is what detects tampering by someone who can disable it.
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only';
    end;
    $$
    `,
    sql`
    create trigger audit_log_append_only before update or delete on audit_log
      for each row execute function audit_log_append_only()
    `,
    sql`
    create table rate_limits (
      key text primary key,
      window_start timestamptz not null,
      count integer not null
    )
    `,
  ]) {
    await statement.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of [
    sql`
    drop table rate_limits
    `,
    sql`
    drop trigger audit_log_append_only on audit_log
    `,
    sql`
    drop function audit_log_append_only()
    `,
    sql`
    drop table audit_log
    `,
    sql`
    drop table api_tokens
    `,
    sql`
    create table chat_secrets (
      group_id uuid not null references groups (id) on delete cascade,
      secret_id uuid not null references secrets (id) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (group_id, secret_id)
    )
    `,
    sql`
    insert into chat_secrets (group_id, secret_id, created_at)
      select grantee_id, secret_id, created_at from secret_grants
      where grantee_type = 'group' and grantee_id in (select id from groups)
    `,
    sql`
    drop table secret_grants
    `,
    sql`
    drop table secret_versions
    `,
    sql`
    delete from secrets where legacy_value is null
    `,
    sql`
    alter table secrets
      drop constraint secrets_org_namespace_name_unique,
      drop constraint secrets_value_present,
      drop column value, drop column kek_id, drop column namespace, drop column scope,
      drop column description, drop column version, drop column rotated_at,
      drop column created_by, drop column updated_by
    `,
    sql`
    alter table secrets add constraint secrets_org_name_unique unique (org_id, name)
    `,
    sql`
    alter table secrets rename column legacy_value to value
    `,
    sql`
    alter table secrets alter column value set not null
    `,
  ]) {
    await statement.execute(db);
  }
}
