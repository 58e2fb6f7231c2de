import { TRPCError } from '@trpc/server';
import { auditActor, type WorkerActor } from '../core/actor';
import type { AuditEvent } from '../audit/service';
import type { Call } from '../core/call';
import { AppError, notFound } from '../core/errors';
import { openValue } from '../core/sealing';
import { infraContext } from '../infra-secrets/service';
import { mcpAuthOf } from '../mcp-oauth/schema-ready';
import { resolveOAuthToken } from '../mcp-oauth/tokens';
import { mcpCredential } from '../mcp-servers/credentials';
import { openSecret } from '../secrets/store';
import type { ResolutionRequest } from './access';

/** Who a run-time value is for: the agent, its chat if any, and the run (for the audit row). */
export interface RunContext {
  agentId: string;
  chatId?: string | undefined;
  runId?: string | undefined;
}

/**
 * A value a worker may have, decided but not yet handed out: `id` and `version` are what the
 * runtime caches it under (a secret's id, `infra:<name>`, an OAuth MCP server's id, or
 * `legacy:<server id>`), and `audit` is the row that must commit before the value leaves.
 */
export interface Grant {
  id: string;
  version: number;
  expiresAt: Date | null;
  open(): Promise<string>;
  audit: AuditEvent;
}

const runMetadata = (run: RunContext) => ({
  agentId: run.agentId,
  chatId: run.chatId ?? null,
  runId: run.runId ?? null,
});

/**
 * Decides whether the agent (in its chat) may have a secret, by org, scope, grants and
 * references; a refusal is audited as `secret.access_denied` and answers FORBIDDEN.
 */
export async function secretGrant(call: Call<WorkerActor>, input: ResolutionRequest & RunContext): Promise<Grant> {
  const { deps } = call;
  const { secret, decision } = await deps.decisions.decide(deps.storage, input);
  if (!decision.allowed) {
    await deps.accessLog.record(auditActor(call.actor, call.requestId), {
      action: 'secret.access_denied',
      targetType: 'secret',
      targetId: input.secretId,
      metadata: { ...runMetadata(input), reason: decision.reason },
    });
    throw new TRPCError({ code: 'FORBIDDEN', message: `The secret may not be used here: ${decision.reason}` });
  }
  return {
    id: input.secretId,
    version: secret.version,
    expiresAt: null,
    open: () =>
      openSecret(deps, { orgId: input.orgId, secretId: input.secretId, version: secret.version }, secret.value),
    audit: {
      action: 'secret.access',
      targetType: 'secret',
      targetId: input.secretId,
      metadata: { ...runMetadata(input), version: secret.version, via: decision.via },
    },
  };
}

/**
 * The bearer token of an MCP server attached to the agent: a valid OAuth access token (refreshed
 * when near expiry), else its secret, else the legacy raw token (dual read). Opened here, since
 * finding an OAuth token may mean refreshing it.
 */
export async function mcpTokenGrant(
  call: Call<WorkerActor>,
  input: RunContext & { orgId: string; mcpServerId: string },
): Promise<Grant & { secretId: string | null }> {
  const { deps } = call;
  const server = await deps.db
    .selectFrom('agent_mcp_servers as am')
    .innerJoin('agents as a', 'a.id', 'am.agent_id')
    .innerJoin('mcp_servers', 'mcp_servers.id', 'am.mcp_server_id')
    .select(mcpAuthOf.as('auth'))
    .where('am.agent_id', '=', input.agentId)
    .where('am.mcp_server_id', '=', input.mcpServerId)
    .where('a.org_id', '=', input.orgId)
    .executeTakeFirst();
  if (!server) throw notFound('MCP server of this agent');
  const audit = (metadata: Record<string, unknown>): AuditEvent => ({
    action: 'secret.access',
    targetType: 'mcpServer',
    targetId: input.mcpServerId,
    metadata: { ...runMetadata(input), ...metadata },
  });
  if (server.auth === 'oauth') {
    const by = auditActor(call.actor, call.requestId);
    const token = await resolveOAuthToken(deps, by, input.orgId, input.mcpServerId);
    return {
      id: input.mcpServerId,
      secretId: null,
      version: token.version,
      expiresAt: token.expiresAt,
      open: () => Promise.resolve(token.value),
      audit: audit({ source: 'oauth', version: token.version }),
    };
  }
  const credential = await mcpCredential(deps, input.orgId, input.mcpServerId);
  if (credential.token === null) throw notFound('Credential of this MCP server');
  const { token, source, secretId, version } = credential;
  return {
    id: secretId ?? `legacy:${input.mcpServerId}`,
    secretId,
    version,
    expiresAt: null,
    open: () => Promise.resolve(token),
    audit: audit({ source, secretId, version }),
  };
}

/** An infra secret (platform-level, no org), audited in the worker's org. */
export async function infraGrant(call: Call<WorkerActor>, name: string): Promise<Grant> {
  const { deps } = call;
  const row = await deps.db.selectFrom('infra_secrets').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', `Infra secret "${name}" not found`, { reason: 'INFRA_SECRET_MISSING' });
  return {
    id: `infra:${name}`,
    version: row.version,
    expiresAt: null,
    open: () => openValue(deps, infraContext(name, row.version), row.value),
    audit: { action: 'secret.access', targetType: 'infra_secret', targetId: name, metadata: { version: row.version } },
  };
}

/**
 * Opens the granted values, then commits their audit rows (one group commit for all of them);
 * only then are the values returned. If opening or auditing fails, none leaves.
 * @example const [value] = await deliver(call, [await secretGrant(call, input)]);
 */
export async function deliver(call: Call<WorkerActor>, grants: readonly Grant[]): Promise<string[]> {
  const values = await Promise.all(grants.map((g) => g.open()));
  const by = auditActor(call.actor, call.requestId);
  await Promise.all(grants.map((g) => call.deps.accessLog.record(by, g.audit)));
  return values;
}
