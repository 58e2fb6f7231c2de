import type { WorkerActor } from '../core/actor';
import type { Call } from '../core/call';
import type { InfraSecretEvent, SecretEvent } from '../core/event-hub';
import { notFound } from '../core/errors';
import { isoOrNull } from '../core/schemas';
import { mcpAuthOf, oauthSchemaReady } from '../mcp-oauth/schema-ready';
import { connectionVersions } from '../mcp-oauth/tokens';
import { legacyTokenOf } from '../mcp-servers/credentials';
import { providerTypeOf, type ProviderTypeName } from '../providers/types';
import { currentVersions } from '../secrets/store';
import type { ResolutionRequest } from './access';
import { deliver, infraGrant, mcpTokenGrant, type RunContext, secretGrant } from './credentials';

/**
 * Resolves a secret for an agent's run: decides by org, scope, grants and references, and audits
 * `secret.access` (with agent, chat and run id) — the value is returned only once that row has
 * committed — or audits `secret.access_denied` and answers FORBIDDEN.
 * @example const { value } = await resolveSecret(ctx, { orgId, secretId, agentId, chatId, runId });
 */
export async function resolveSecret(call: Call<WorkerActor>, input: ResolutionRequest & RunContext) {
  const grant = await secretGrant(call, input);
  const [value] = await deliver(call, [grant]);
  return { id: input.secretId, version: grant.version, value: value! };
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
      providerType: agent.provider_type as ProviderTypeName,
      kind: agent.kind,
      config: providerTypeOf(agent.provider_type).stored.parse(agent.config),
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
 * token; or its OAuth access token), audited as `secret.access`.
 */
export async function resolveMcpToken(
  call: Call<WorkerActor>,
  input: RunContext & { orgId: string; mcpServerId: string },
) {
  const grant = await mcpTokenGrant(call, input);
  const [value] = await deliver(call, [grant]);
  return {
    value: value!,
    secretId: grant.secretId,
    version: grant.version,
    expiresAt: isoOrNull(grant.expiresAt),
  };
}

/** An infra secret (e.g. the AI Gateway token), audited in the worker's org. */
export async function readInfraSecret(call: Call<WorkerActor>, name: string) {
  const grant = await infraGrant(call, name);
  const [value] = await deliver(call, [grant]);
  return { name, version: grant.version, value: value! };
}
