import { type Kysely, sql } from 'kysely';

/**
 * MCP servers that sign in with OAuth 2.1: the server's OAuth settings, its connection (sealed
 * access and refresh tokens), pending authorizations (sealed PKCE verifier, single use) and
 * dynamic client registrations kept per org and issuer.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('mcp_servers')
    .addColumn('auth', 'text', (c) => c.notNull().defaultTo('bearer'))
    .addColumn('oauth_scopes', 'text')
    .addColumn('oauth_client_id', 'text')
    .addColumn('oauth_client_secret_ref', 'uuid', (c) => c.references('secrets.id').onDelete('restrict'))
    .addColumn('oauth_grant', 'text')
    .execute();
  await sql`alter table mcp_servers add constraint mcp_servers_auth check (auth in ('bearer', 'oauth')
    and (auth = 'bearer' or secret_ref is null))`.execute(db);

  await db.schema
    .createTable('mcp_oauth_connections')
    .addColumn('mcp_server_id', 'uuid', (c) => c.primaryKey().references('mcp_servers.id').onDelete('cascade'))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('connected', 'needs_reauth')`))
    .addColumn('grant_type', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('as_metadata', 'jsonb', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('access_token', 'bytea')
    .addColumn('refresh_token', 'bytea')
    .addColumn('kek_id', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('failure', 'text')
    .addColumn('wanted_scopes', 'text')
    .addColumn('connected_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('connected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('mcp_oauth_pending')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('mcp_server_id', 'uuid', (c) => c.notNull().references('mcp_servers.id').onDelete('cascade'))
    .addColumn('code_verifier', 'bytea', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('as_metadata', 'jsonb', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('consumed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('mcp_oauth_pending_server').on('mcp_oauth_pending').column('mcp_server_id').execute();

  await db.schema
    .createTable('mcp_oauth_clients')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_secret', 'bytea')
    .addColumn('kek_id', 'text')
    .addColumn('registration', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('mcp_oauth_clients_pk', ['org_id', 'issuer', 'redirect_uri'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mcp_oauth_clients').execute();
  await db.schema.dropTable('mcp_oauth_pending').execute();
  await db.schema.dropTable('mcp_oauth_connections').execute();
  await sql`alter table mcp_servers drop constraint mcp_servers_auth`.execute(db);
  await db.schema
    .alterTable('mcp_servers')
    .dropColumn('oauth_grant')
    .dropColumn('oauth_client_secret_ref')
    .dropColumn('oauth_client_id')
    .dropColumn('oauth_scopes')
    .dropColumn('auth')
    .execute();
}
