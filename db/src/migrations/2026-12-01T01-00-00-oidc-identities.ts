import { type Kysely, sql } from 'kysely';

/**
 * People known through an identity provider: a users row keyed by the provider's issuer and
 * subject, created the first time one of their tokens is seen. Users with API tokens keep both
 * columns null (nulls never collide in the unique index).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users add column oidc_issuer text, add column oidc_subject text`.execute(db);
  await sql`alter table users add constraint users_oidc_identity_complete
    check ((oidc_issuer is null) = (oidc_subject is null))`.execute(db);
  await sql`create unique index users_oidc_identity on users (oidc_issuer, oidc_subject)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index users_oidc_identity`.execute(db);
  await sql`alter table users drop constraint users_oidc_identity_complete`.execute(db);
  await sql`alter table users drop column oidc_subject, drop column oidc_issuer`.execute(db);
}
