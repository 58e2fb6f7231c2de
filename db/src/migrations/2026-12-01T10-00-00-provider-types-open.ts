import { type Kysely, sql } from 'kysely';

/**
 * `provider_type` was checked against a list of one; a new type would have needed a migration.
 * The API's registry of provider types is now what says which exist (each with its config
 * schema), so the database keeps the name well-formed only. Existing rows all satisfy both.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table providers
    drop constraint providers_provider_type_check,
    add constraint providers_provider_type_check check (provider_type ~ '^[a-z][a-z0-9-]{0,63}$')`.execute(db);
}

/** Refused while a provider of a type other than `cloudflare-ai-gateway` exists. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table providers
    drop constraint providers_provider_type_check,
    add constraint providers_provider_type_check check (provider_type in ('cloudflare-ai-gateway'))`.execute(db);
}
