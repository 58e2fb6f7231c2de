import { TRPCError } from '@trpc/server';
import { auditActor, type WorkerActor } from '../core/actor';
import type { Call } from '../core/call';
import type { InfraSecretEvent, SecretEvent } from '../core/event-hub';
import { notFound } from '../core/errors';
import { isoOrNull } from '../core/schemas';
import { mcpAuthOf, oauthSchemaReady } from '../mcp-oauth/schema-ready';
import { connectionVersions, resolveOAuthToken } from '../mcp-oauth/tokens';
import { legacyTokenOf, mcpCredential } from '../mcp-servers/credentials';
import { currentVersions, openSecret } from '../secrets/store';
import type { ResolutionRequest } from './access';

/**
 * Resolves a secret for an agent's run: decides by org, scope, grants and references, and audits
 * `secret.access` (with agent, chat and run id) — the value is returned only once that row has
 * committed — or audits `secret.access_denied` and answers FORBIDDEN.
 * @example const { value } = await resolveSecret(ctx, { orgId, secretId, agentId, chatId, runId });
 */
export async function resolveSecret(
  call: Call<WorkerActor>,
  input: ResolutionRequest & { runId?: string | undefined },
) {
  const { deps } = call;
  const by = auditActor(call.actor, call.requestId);
  const metadata = { agentId: input.agentId, chatId: input.chatId ?? null, runId: input.runId ?? null };
  const { secret, decision } = await deps.decisions.decide(deps.storage, input);
  if (!decision.allowed) {
    await deps.accessLog.record(by, {
      action: 'secret.access_denied',
      targetType: 'secret',
      targetId: input.secretId,
      metadata: { ...metadata, reason: decision.reason },
    });
    throw new TRPCError({ code: 'FORBIDDEN', message: `The secret may not be used here: ${decision.reason}` });
  }
  const value = await openSecret(
    deps,
    { orgId: input.orgId, secretId: input.secretId, version: secret.version },
    secret.value,
  );
  await deps.accessLog.record(by, {
    action: 'secret.access',
    targetType: 'secret',
    targetId: input.secretId,
    metadata: { ...metadata, version: secret.version, via: decision.via },
  });
  return { id: input.secretId, version: secret.version, value };
}

/**
 * Current versions of the org's secrets (and OAuth MCP connections, keyed by server id) among
 * `ids`; ids not found are left out.
 */
export async function secretVersions(call: Call<WorkerActor>, orgId: string, ids: string[]) {
  if (ids.length === 0) return {};
  const rows = await currentVersions(call.deps.db, orgId, ids);
  const connections = (await oauthSchemaReady(call.deps.db)) ? await connectionVersions(call.deps.db, orgId, ids) : [];
  return Object.fromEntries([...rows, ...connections].map((r) => [r.id, r.version]));
}

/**
 * The org's change events, and changes of infra secrets (which every org uses), as they commit. Listening starts when this is called — before the
 * stream tells the client it is connected — so no event committed after that is missed. The
 * stream ends when the instance's LISTEN connection had to reconnect (events may have been
 * missed): the client reconnects and re-checks versions.
 */
export function secretEvents(
  call: Call<WorkerActor>,
  orgId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<SecretEvent | InfraSecretEvent> {
  const queue: (SecretEvent | InfraSecretEvent)[] = [];
  let wake: (() => void) | undefined;
  let resync = false;
  const offEvent = call.deps.events.onSecret(orgId, (event) => {
    queue.push(event);
    wake?.();
  });
  const offInfra = call.deps.events.onInfra((event) => {
    queue.push(event);
    wake?.();
  });
  const offResync = call.deps.events.onResync(() => {
    resync = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  return (async function* () {
    try {
      while (!signal?.aborted && !resync) {
        const event = queue.shift();
        if (event) {
          // Only these fields, whatever else a NOTIFY payload might carry.
          yield event.type === 'infra_secret.changed'
            ? { type: event.type, name: event.name, version: event.version }
            : { type: event.type, orgId: event.orgId, id: event.id, version: event.version };
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      offEvent();
      offInfra();
      offResync();
      signal?.removeEventListener('abort', onAbort);
    }
  })();
}

/**
 * What the runtime needs to run an agent: the agent, its provider and its MCP servers, with
 * secret references and current versions — never a value.
 */
export async function agentRuntimeConfig(
  call: Call<WorkerActor>,
  input: { orgId: string; agentId: string; chatId?: string | undefined },
) {
  const { db } = call.deps;
  const agent = await db
    .selectFrom('agents as a')
    .innerJoin('providers as p', 'p.id', 'a.provider_id')
    .leftJoin('secrets as s', 's.id', 'p.secret_ref')
    .select([
      'a.id',
      'a.name',
      'a.model_id',
      'a.instructions',
      'p.id as provider_id',
      'p.name as provider_name',
      'p.provider_type',
      'p.kind',
      'p.config',
      'p.secret_ref',
      'p.needs_configuration',
      's.version as secret_version',
    ])
    .where('a.id', '=', input.agentId)
    .where('a.org_id', '=', input.orgId)
    .executeTakeFirst();
  if (!agent) throw notFound('Agent');
  if (input.chatId) {
    const chat = await db
      .selectFrom('groups')
      .select('id')
      .where('id', '=', input.chatId)
      .where('org_id', '=', input.orgId)
      .executeTakeFirst();
    if (!chat) throw notFound('Chat');
  }
  const servers = await db
    .selectFrom('agent_mcp_servers as am')
    .innerJoin('mcp_servers', 'mcp_servers.id', 'am.mcp_server_id')
    .leftJoin('secrets as s', 's.id', 'mcp_servers.secret_ref')
    .select([
      'mcp_servers.id',
      'mcp_servers.name',
      'mcp_servers.url',
      'mcp_servers.secret_ref',
      mcpAuthOf.as('auth'),
      's.version as secret_version',
      legacyTokenOf.as('legacy_token'),
    ])
    .where('am.agent_id', '=', agent.id)
    .orderBy('mcp_servers.name')
    .execute();
  return {
    agent: { id: agent.id, name: agent.name, modelId: agent.model_id, instructions: agent.instructions },
    provider: {
      id: agent.provider_id,
      name: agent.provider_name,
      providerType: agent.provider_type,
      kind: agent.kind,
      config: agent.config,
      secretRef: agent.secret_ref,
      secretVersion: agent.secret_version,
      needsConfiguration: agent.needs_configuration,
    },
    model: `${agent.kind}/${agent.model_id}`,
    mcpServers: servers.map((s) => ({
      id: s.id,
      name: s.name,
      url: s.url,
      auth: s.auth,
      secretRef: s.auth === 'oauth' ? null : s.secret_ref,
      secretVersion: s.auth === 'oauth' ? null : s.secret_version,
      hasLegacyToken: s.legacy_token !== null,
    })),
  };
}

/**
 * The bearer token of an MCP server attached to the agent (dual read: its secret, else the legacy
 * token), audited as `secret.access`.
 */
export async function resolveMcpToken(
  call: Call<WorkerActor>,
  input: {
    orgId: string;
    agentId: string;
    mcpServerId: string;
    chatId?: string | undefined;
    runId?: string | undefined;
  },
) {
  const { deps } = call;
  const attached = await deps.db
    .selectFrom('agent_mcp_servers as am')
    .innerJoin('agents as a', 'a.id', 'am.agent_id')
    .select('am.mcp_server_id')
    .where('am.agent_id', '=', input.agentId)
    .where('am.mcp_server_id', '=', input.mcpServerId)
    .where('a.org_id', '=', input.orgId)
    .executeTakeFirst();
  if (!attached) throw notFound('MCP server of this agent');
  const by = auditActor(call.actor, call.requestId);
  const runMetadata = { agentId: input.agentId, chatId: input.chatId ?? null, runId: input.runId ?? null };
  const server = await deps.db
    .selectFrom('mcp_servers')
    .select(mcpAuthOf.as('auth'))
    .where('id', '=', input.mcpServerId)
    .executeTakeFirstOrThrow();
  if (server.auth === 'oauth') {
    const token = await resolveOAuthToken(deps, by, input.orgId, input.mcpServerId);
    await deps.accessLog.record(by, {
      action: 'secret.access',
      targetType: 'mcpServer',
      targetId: input.mcpServerId,
      metadata: { ...runMetadata, source: 'oauth', version: token.version },
    });
    return { value: token.value, secretId: null, version: token.version, expiresAt: isoOrNull(token.expiresAt) };
  }
  const credential = await mcpCredential(deps, input.orgId, input.mcpServerId);
  if (credential.token === null) throw notFound('Credential of this MCP server');
  await deps.accessLog.record(by, {
    action: 'secret.access',
    targetType: 'mcpServer',
    targetId: input.mcpServerId,
    metadata: {
      ...runMetadata,
      source: credential.source,
      secretId: credential.secretId,
      version: credential.version,
    },
  });
  return { value: credential.token, secretId: credential.secretId, version: credential.version, expiresAt: null };
}
