import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';

/**
 * The platform's schema before Strongroom, as the proposal describes it: a bare plaintext
 * `secrets` table nobody wired up, `chat_secrets`, agents carrying a raw LLM key or a secret id,
 * and MCP servers holding a raw `token`. Later migrations make the change, so upgrades are real.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const id = (col: ColumnDefinitionBuilder) => col.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const created = (col: ColumnDefinitionBuilder) => col.notNull().defaultTo(sql`now()`);

  await db.schema
    .createTable('orgs')
    .addColumn('id', 'uuid', id)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', created)
    .execute();
  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', id)
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', created)
    .execute();
  await db.schema
    .createTable('org_members')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'member')`))
    .addColumn('created_at', 'timestamptz', created)
    .addPrimaryKeyConstraint('org_members_pk', ['org_id', 'user_id'])
    .execute();
  await db.schema
    .createTable('groups')
    .addColumn('id', 'uuid', id)
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', created)
    .execute();
  await db.schema
    .createTable('group_members')
    .addColumn('group_id', 'uuid', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
    .execute();
  await db.schema
    .createTable('secrets')
    .addColumn('id', 'uuid', id)
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', created)
    .addColumn('updated_at', 'timestamptz', created)
    .addUniqueConstraint('secrets_org_name_unique', ['org_id', 'name'])
    .execute();
  await db.schema
    .createTable('chat_secrets')
    .addColumn('group_id', 'uuid', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('secret_id', 'uuid', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', created)
    .addPrimaryKeyConstraint('chat_secrets_pk', ['group_id', 'secret_id'])
    .execute();
  await db.schema
    .createTable('mcp_servers')
    .addColumn('id', 'uuid', id)
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('token', 'text')
    .addColumn('created_at', 'timestamptz', created)
    .addColumn('updated_at', 'timestamptz', created)
    .execute();
  await db.schema
    .createTable('agents')
    .addColumn('id', 'uuid', id)
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('llm_provider', 'text', (c) => c.notNull().defaultTo('openai'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('llm_api_key', 'text')
    .addColumn('llm_secret_id', 'uuid', (c) => c.references('secrets.id').onDelete('set null'))
    .addColumn('instructions', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'timestamptz', created)
    .addColumn('updated_at', 'timestamptz', created)
    .execute();
  await db.schema
    .createTable('agent_mcp_servers')
    .addColumn('agent_id', 'uuid', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('mcp_server_id', 'uuid', (c) => c.notNull().references('mcp_servers.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('agent_mcp_servers_pk', ['agent_id', 'mcp_server_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'agent_mcp_servers',
    'agents',
    'mcp_servers',
    'chat_secrets',
    'secrets',
    'group_members',
    'groups',
    'org_members',
    'users',
    'orgs',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
