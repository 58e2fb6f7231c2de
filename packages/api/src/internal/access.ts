import type { Statement, Storage } from '@strongroom/db';
import { notFound } from '../core/errors';

export interface ResolutionRequest {
  orgId: string;
  secretId: string;
  agentId: string;
  chatId?: string | undefined;
}

export type Decision = { allowed: true; via: string } | { allowed: false; reason: string };

/** The decision's facts in one statement: $1 secret, $2 org, $3 agent, $4 chat (or null). */
const DECIDE: Statement = {
  name: 'strongroom_decide_v1',
  text: `
    select s.id as secret_id, s.scope, s.version, s.value,
      (select a.id from agents a where a.id = $3 and a.org_id = $2) as agent_id,
      (select g.id from groups g where g.id = $4::uuid and g.org_id = $2) as chat_id,
      exists (select 1 from secret_grants sg where sg.secret_id = s.id
        and sg.grantee_type = 'agent' and sg.grantee_id = $3) as agent_grant,
      exists (select 1 from secret_grants sg where sg.secret_id = s.id
        and sg.grantee_type = 'group' and sg.grantee_id = $4::uuid) as chat_grant,
      (select count(*)::int from providers p where p.secret_ref = s.id)
        + (select count(*)::int from mcp_servers m where m.secret_ref = s.id)
        + (select count(*)::int from mcp_servers m
            where to_jsonb(m) ->> 'oauth_client_secret_ref' = s.id::text) as referrers,
      exists (select 1 from agents a join providers p on p.id = a.provider_id
        where a.id = $3 and a.org_id = s.org_id and p.secret_ref = s.id) as via_provider,
      exists (select 1 from agent_mcp_servers am join mcp_servers m on m.id = am.mcp_server_id
        where am.agent_id = $3 and m.secret_ref = s.id) as via_mcp
    from secrets s where s.id = $1 and s.org_id = $2`,
};

interface DecideRow {
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
}

/**
 * Whether an agent (in a chat, if any) may have a secret at run time:
 * - a provider key or MCP token (a secret some provider or MCP server references) only through
 *   the provider or server that references it, for an agent that uses it;
 * - otherwise an `agent`-scope secret for any agent of the org;
 * - and an `org`-scope secret only where a grant names the agent or the chat's group.
 * The secret, agent and chat must all be the org's: anything else is not found.
 */
export async function decide(storage: Pick<Storage, 'query'>, req: ResolutionRequest) {
  const rows = await storage.query<DecideRow>(DECIDE, [req.secretId, req.orgId, req.agentId, req.chatId ?? null]);
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
