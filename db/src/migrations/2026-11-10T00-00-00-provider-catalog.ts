import { type Kysely, sql } from 'kysely';

/**
 * The records that need credentials stop holding them: a provider catalog (Cloudflare AI Gateway
 * in BYOK pass-through for now) that agents select, and MCP servers that reference a secret.
 *
 * Legacy agents carried a raw key (`llm_api_key`) or a secret id (`llm_secret_id`). Each distinct
 * (org, kind, credential) becomes one provider: a raw key becomes an agent-scope secret whose
 * plaintext waits in `legacy_value` until the server seals it on start (this migration cannot hold
 * a key), and the raw column is cleared. Agents with neither get a provider without a key. The
 * gateway account and name were never recorded, so migrated providers are marked
 * `needs_configuration` until an admin completes them; the runtime refuses to use them until then.
 *
 * MCP servers keep their raw `token` for now (dual read); `strongroom backfill mcp-tokens` moves
 * them and a later migration drops the column once `backfill verify` has passed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of [
    sql`create table providers (
      id uuid primary key default gen_random_uuid(),
      org_id uuid not null references orgs (id) on delete cascade,
      provider_type text not null check (provider_type in ('cloudflare-ai-gateway')),
      kind text not null,
      name text not null,
      secret_ref uuid references secrets (id) on delete restrict,
      config jsonb not null default '{}',
      needs_configuration boolean not null default false,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint providers_configured check (needs_configuration or secret_ref is not null)
    )`,
    sql`create index providers_org on providers (org_id)`,
    sql`create index providers_secret_ref on providers (secret_ref)`,
    sql`alter table agents
      add column provider_id uuid references providers (id) on delete restrict,
      add column model_id text,
      add column created_by uuid references users (id) on delete set null`,
    sql`alter table mcp_servers
      add column secret_ref uuid references secrets (id) on delete restrict,
      add column tools jsonb,
      add column last_validated_at timestamptz,
      add column legacy_token_verified_at timestamptz,
      add column created_by uuid references users (id) on delete set null`,
    sql`create index mcp_servers_org on mcp_servers (org_id)`,
    sql`create index mcp_servers_secret_ref on mcp_servers (secret_ref)`,
  ]) {
    await statement.execute(db);
  }

  const agents = await db
    .selectFrom('agents')
    .select(['id', 'org_id', 'name', 'llm_provider', 'model', 'llm_api_key', 'llm_secret_id'])
    .orderBy('created_at')
    .execute();
  const providers = new Map<string, string>();
  for (const agent of agents) {
    const kind = String(agent.llm_provider).toLowerCase();
    const source = agent.llm_api_key
      ? `raw:${agent.llm_api_key}`
      : agent.llm_secret_id
        ? `secret:${agent.llm_secret_id}`
        : 'none';
    const dedupe = `${agent.org_id}\0${kind}\0${source}`;
    let providerId = providers.get(dedupe);
    if (!providerId) {
      let secretRef: string | null = agent.llm_secret_id;
      if (agent.llm_api_key) {
        const secret = await db
          .insertInto('secrets')
          .values({
            org_id: agent.org_id,
            namespace: 'migrated',
            name: `${kind}-key-${String(agent.id).slice(0, 8)}`,
            scope: 'agent',
            description: `LLM key migrated from agent "${agent.name}"`,
            legacy_value: agent.llm_api_key,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        secretRef = secret.id;
      }
      const provider = await db
        .insertInto('providers')
        .values({
          org_id: agent.org_id,
          provider_type: 'cloudflare-ai-gateway',
          kind,
          name: `${kind} (migrated from agent ${agent.name})`,
          secret_ref: secretRef,
          config: JSON.stringify({}),
          needs_configuration: true,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      providerId = provider.id as string;
      providers.set(dedupe, providerId);
    }
    const model = String(agent.model);
    await db
      .updateTable('agents')
      .set({
        provider_id: providerId,
        // Legacy ids were sometimes written as `kind/model`; the kind now lives on the provider.
        model_id: model.startsWith(`${kind}/`) ? model.slice(kind.length + 1) : model,
        llm_api_key: null,
      })
      .where('id', '=', agent.id)
      .execute();
  }

  for (const statement of [
    sql`alter table agents alter column provider_id set not null, alter column model_id set not null`,
    sql`alter table agents alter column llm_provider drop not null, alter column model drop not null`,
    sql`create index agents_provider on agents (provider_id)`,
  ]) {
    await statement.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of [
    sql`update agents set
      model = coalesce(model, model_id),
      llm_provider = coalesce(llm_provider, (select kind from providers p where p.id = agents.provider_id))`,
    sql`alter table agents alter column llm_provider set not null, alter column model set not null`,
    sql`alter table agents drop column provider_id, drop column model_id, drop column created_by`,
    sql`alter table mcp_servers
      drop column secret_ref, drop column tools, drop column last_validated_at,
      drop column legacy_token_verified_at, drop column created_by`,
    sql`drop table providers`,
  ]) {
    await statement.execute(db);
  }
}
