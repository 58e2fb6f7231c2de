import type { Database } from '@strongroom/db';
import { type Kysely, sql } from 'kysely';
import { notFound } from '../core/errors';

export interface ResolutionRequest {
  orgId: string;
  secretId: string;
  agentId: string;
  chatId?: string | undefined;
}

export type Decision = { allowed: true; via: string } | { allowed: false; reason: string };

/**
 * Whether an agent (in a chat, if any) may have a secret at run time:
 * - a provider key or MCP token (a secret some provider or MCP server references) only through
 *   the provider or server that references it, for an agent that uses it;
 * - otherwise an `agent`-scope secret for any agent of the org;
 * - and an `org`-scope secret only where a grant names the agent or the chat's group.
 * The secret, agent and chat must all be the org's: anything else is not found.
 */
export async function decide(db: Kysely<Database>, req: ResolutionRequest) {
  const { rows } = await sql<{
    secret_id: string | null;
    scope: 'org' | 'agent' | null;
    version: number | null;
    value: Uint8Array | null;
    agent_id: string | null;
    chat_id: string | null;
    agent_grant: boolean;
    chat_grant: boolean;
    referrers: number;
    via_provider: boolean;
    via_mcp: boolean;
  }>`
    select s.id as secret_id, s.scope, s.version, s.value,
      (select a.id from agents a where a.id = ${req.agentId} and a.org_id = ${req.orgId}) as agent_id,
      (select g.id from groups g where g.id = ${req.chatId ?? null}::uuid and g.org_id = ${req.orgId}) as chat_id,
      exists (select 1 from secret_grants sg where sg.secret_id = s.id
        and sg.grantee_type = 'agent' and sg.grantee_id = ${req.agentId}) as agent_grant,
      exists (select 1 from secret_grants sg where sg.secret_id = s.id
        and sg.grantee_type = 'group' and sg.grantee_id = ${req.chatId ?? null}::uuid) as chat_grant,
      (select count(*)::int from providers p where p.secret_ref = s.id)
        + (select count(*)::int from mcp_servers m where m.secret_ref = s.id) as referrers,
      exists (select 1 from agents a join providers p on p.id = a.provider_id
        where a.id = ${req.agentId} and a.org_id = s.org_id and p.secret_ref = s.id) as via_provider,
      exists (select 1 from agent_mcp_servers am join mcp_servers m on m.id = am.mcp_server_id
        where am.agent_id = ${req.agentId} and m.secret_ref = s.id) as via_mcp
    from secrets s where s.id = ${req.secretId} and s.org_id = ${req.orgId}`.execute(db);
  const row = rows[0];
  if (!row?.secret_id || !row.value || row.version === null) throw notFound('Secret');
  if (!row.agent_id) throw notFound('Agent');
  if (req.chatId && !row.chat_id) throw notFound('Chat');
  const secret = { version: row.version, value: row.value };
  let decision: Decision;
  if (row.referrers > 0) {
    decision =
      row.via_provider || row.via_mcp
        ? { allowed: true, via: row.via_provider ? 'the agent’s provider' : 'an MCP server of the agent' }
        : { allowed: false, reason: 'it is a credential of a provider or MCP server this agent does not use' };
  } else if (row.scope === 'agent') {
    decision = { allowed: true, via: 'agent scope' };
  } else if (row.agent_grant || row.chat_grant) {
    decision = { allowed: true, via: row.agent_grant ? 'agent grant' : 'chat grant' };
  } else {
    decision = { allowed: false, reason: 'no grant names this agent or chat' };
  }
  return { secret, decision };
}
