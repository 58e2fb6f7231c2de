import { type Kysely, sql } from 'kysely';

/**
 * Drops the last plaintext credential columns of the legacy platform. It refuses to run — with an
 * error named `MigrationBlocked`, which stops the migrator without failing the server — while any
 * MCP server still holds a legacy token that `strongroom backfill verify` has not confirmed, or
 * any legacy secret is still unsealed (the server seals those on start).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const pending = await db
    .selectFrom('mcp_servers')
    .select(['id', 'name'])
    .where('token', 'is not', null)
    .where((eb) => eb.or([eb('secret_ref', 'is', null), eb('legacy_token_verified_at', 'is', null)]))
    .orderBy('name')
    .execute();
  const unsealed = await db.selectFrom('secrets').select('id').where('legacy_value', 'is not', null).execute();
  if (pending.length > 0 || unsealed.length > 0) {
    const servers = pending.map((s) => `"${s.name}" (${s.id})`).join(', ');
    const blocked = new Error(
      [
        pending.length
          ? `${pending.length} MCP server(s) still hold a legacy token: ${servers}. ` +
            'Run `strongroom backfill mcp-tokens`, then `strongroom backfill verify`.'
          : '',
        unsealed.length
          ? `${unsealed.length} legacy secret(s) are not sealed yet; start the server once to seal them.`
          : '',
      ]
        .filter(Boolean)
        .join(' '),
    );
    blocked.name = 'MigrationBlocked';
    throw blocked;
  }
  for (const statement of [
    sql`alter table mcp_servers drop column token, drop column legacy_token_verified_at`,
    sql`alter table agents drop column llm_api_key, drop column llm_secret_id, drop column llm_provider, drop column model`,
    sql`alter table secrets drop constraint secrets_value_present`,
    sql`alter table secrets drop column legacy_value`,
    sql`alter table secrets alter column value set not null, alter column kek_id set not null`,
  ]) {
    await statement.execute(db);
  }
}

/** Brings the columns back, empty: the plaintext they held is gone for good. */
export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of [
    sql`alter table secrets alter column value drop not null, alter column kek_id drop not null`,
    sql`alter table secrets add column legacy_value text`,
    sql`alter table secrets add constraint secrets_value_present check (value is not null or legacy_value is not null)`,
    sql`alter table agents add column llm_api_key text, add column llm_secret_id uuid references secrets (id) on delete set null,
      add column llm_provider text, add column model text`,
    sql`update agents set model = model_id, llm_provider = (select kind from providers p where p.id = agents.provider_id)`,
    sql`alter table mcp_servers add column token text, add column legacy_token_verified_at timestamptz`,
  ]) {
    await statement.execute(db);
  }
}
