import type { Database } from '@strongroom/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import { appendAudit } from '../audit/service';
import { auditActor } from '../core/actor';
import type { Call } from '../core/call';
import { badInput, notFound } from '../core/errors';
import { iso } from '../core/schemas';
import type { Agent, createAgentInput, updateAgentInput } from './schemas';
import { lockOrgRow } from '../core/org-rows';

/** Agents of the org with their provider and MCP servers, in one query. */
function agentsQuery(db: Kysely<Database>, orgId: string) {
  return db
    .selectFrom('agents as a')
    .innerJoin('providers as p', 'p.id', 'a.provider_id')
    .select([
      'a.id',
      'a.org_id',
      'a.name',
      'a.provider_id',
      'a.model_id',
      'a.instructions',
      'a.created_at',
      'a.updated_at',
      'p.name as provider_name',
      'p.kind as provider_kind',
      sql<
        string[]
      >`coalesce((select array_agg(m.mcp_server_id order by m.mcp_server_id) from agent_mcp_servers m where m.agent_id = a.id), '{}')`.as(
        'mcp_server_ids',
      ),
    ])
    .where('a.org_id', '=', orgId);
}

type AgentRow = Awaited<ReturnType<ReturnType<typeof agentsQuery>['executeTakeFirstOrThrow']>>;

function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    providerId: row.provider_id,
    provider: { id: row.provider_id, name: row.provider_name, kind: row.provider_kind },
    modelId: row.model_id,
    model: `${row.provider_kind}/${row.model_id}`,
    instructions: row.instructions,
    mcpServerIds: row.mcp_server_ids,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

async function loadAgent(db: Kysely<Database>, orgId: string, id: string): Promise<Agent> {
  const row = await agentsQuery(db, orgId).where('a.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Agent');
  return toAgent(row);
}

/** The provider and MCP servers an agent names must be the org's; others read as missing. */
async function checkReferences(
  trx: Transaction<Database>,
  orgId: string,
  input: { providerId?: string | undefined; mcpServerIds?: string[] | undefined },
) {
  if (input.providerId) {
    const provider = await trx
      .selectFrom('providers')
      .select('id')
      .where('id', '=', input.providerId)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    if (!provider) throw badInput('providerId', 'providerId does not name a provider of this org');
  }
  const ids = [...new Set(input.mcpServerIds ?? [])];
  if (ids.length > 0) {
    const found = await trx
      .selectFrom('mcp_servers')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', 'in', ids)
      .execute();
    if (found.length !== ids.length)
      throw badInput('mcpServerIds', 'mcpServerIds names an MCP server that is not this org’s');
  }
  return ids;
}

async function attach(trx: Transaction<Database>, agentId: string, mcpServerIds: string[]) {
  await trx.deleteFrom('agent_mcp_servers').where('agent_id', '=', agentId).execute();
  if (mcpServerIds.length) {
    await trx
      .insertInto('agent_mcp_servers')
      .values(mcpServerIds.map((mcp_server_id) => ({ agent_id: agentId, mcp_server_id })))
      .execute();
  }
}

export async function listAgents(call: Call): Promise<Agent[]> {
  const rows = await agentsQuery(call.deps.db, call.actor.orgId).orderBy('a.name').orderBy('a.id').execute();
  return rows.map(toAgent);
}

export const getAgent = (call: Call, id: string) => loadAgent(call.deps.db, call.actor.orgId, id);

/** @example await createAgent(ctx, { name: 'Support', providerId, modelId: 'gpt-5.2' }) */
export async function createAgent(call: Call, input: z.output<typeof createAgentInput>): Promise<Agent> {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    const mcpServerIds = await checkReferences(trx, actor.orgId, input);
    const row = await trx
      .insertInto('agents')
      .values({
        org_id: actor.orgId,
        name: input.name,
        provider_id: input.providerId,
        model_id: input.modelId,
        instructions: input.instructions,
        created_by: actor.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await attach(trx, row.id, mcpServerIds);
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'agent.create',
      targetType: 'agent',
      targetId: row.id,
      metadata: { name: input.name, providerId: input.providerId, modelId: input.modelId, mcpServerIds },
    });
    // Read inside the transaction, so the answer cannot fail after the change committed.
    return loadAgent(trx, actor.orgId, row.id);
  });
}

export async function updateAgent(call: Call, input: z.output<typeof updateAgentInput>): Promise<Agent> {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    await lockOrgRow(trx, 'agents', actor.orgId, input.id, 'Agent');
    const mcpServerIds = await checkReferences(trx, actor.orgId, input);
    await trx
      .updateTable('agents')
      .set({
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.providerId === undefined ? {} : { provider_id: input.providerId }),
        ...(input.modelId === undefined ? {} : { model_id: input.modelId }),
        ...(input.instructions === undefined ? {} : { instructions: input.instructions }),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', input.id)
      .execute();
    if (input.mcpServerIds) await attach(trx, input.id, mcpServerIds);
    const changed = (['name', 'providerId', 'modelId', 'instructions', 'mcpServerIds'] as const).filter(
      (k) => input[k] !== undefined,
    );
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'agent.update',
      targetType: 'agent',
      targetId: input.id,
      metadata: { changed },
    });
    return loadAgent(trx, actor.orgId, input.id);
  });
}

/** Deletes the agent, its MCP attachments, and the grants that named it. */
export async function deleteAgent(call: Call, id: string): Promise<{ id: string }> {
  const { actor } = call;
  return call.deps.db.transaction().execute(async (trx) => {
    const row = await lockOrgRow(trx, 'agents', actor.orgId, id, 'Agent');
    await trx.deleteFrom('secret_grants').where('grantee_type', '=', 'agent').where('grantee_id', '=', id).execute();
    await trx.deleteFrom('agents').where('id', '=', id).execute();
    await appendAudit(trx, call.deps.auditKeys, auditActor(actor, call.requestId), {
      action: 'agent.delete',
      targetType: 'agent',
      targetId: id,
      metadata: { name: row.name },
    });
    return { id };
  });
}
