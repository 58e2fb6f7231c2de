import type { WorkerActor } from '../core/actor';
import type { Call } from '../core/call';
import { AppError } from '../core/errors';
import { isoOrNull } from '../core/schemas';
import { accessTokenCurrent } from '../mcp-oauth/tokens';
import { providerTypeOf } from '../providers/types';
import { deliver, type Grant, infraGrant, mcpTokenGrant, type RunContext, secretGrant } from './credentials';
import { agentRuntimeConfig } from './service';

export interface RunCredentialsInput extends RunContext {
  orgId: string;
  /** Values the runtime already holds, by the id it caches them under: sent back only if changed. */
  held: ReadonlyMap<string, number>;
  /** Infra secrets the runtime has from its own configuration (e.g. `AI_GATEWAY_TOKEN`). */
  ownInfraSecrets: readonly string[];
}

/** An OAuth MCP server that needs (re)connecting, said by name: the run's caller knows no ids. */
function signInNeeded(err: unknown, name: string) {
  if (!(err instanceof AppError)) return undefined;
  const message =
    err.reason === 'MCP_REAUTH_REQUIRED'
      ? `MCP server "${name}" needs signing in again: an admin must reconnect it`
      : err.reason === 'MCP_NOT_CONNECTED'
        ? `MCP server "${name}" is not connected: an admin must connect it`
        : undefined;
  return message && new AppError(err.code, message, { reason: err.reason, details: err.details, cause: err });
}

/** A value the runtime already holds at the current version: authorised again, not sent. */
type Held = Pick<Grant, 'id' | 'version' | 'expiresAt'> & { held: true };

/**
 * Everything a run needs in one authorised call: the agent's config and every credential of it —
 * the provider key, the infra secrets of the provider's type, and each MCP server's token — each
 * decided exactly as the per-value procedures decide it (`resolveSecret`, `resolveMcpToken`,
 * `infraSecret`). A value the caller holds at the current version comes back as `value: null`;
 * every other value is audited as those procedures audit it, and all audit rows commit (one
 * group) before any value is returned. Any refusal fails the whole call.
 * @example const { config, credentials } = await runCredentials(ctx, { orgId, agentId, held: new Map(), ownInfraSecrets: [] });
 */
export async function runCredentials(call: Call<WorkerActor>, input: RunCredentialsInput) {
  const { deps } = call;
  const config = await agentRuntimeConfig(call, input);
  const { provider } = config;
  const type = providerTypeOf(provider.providerType);
  if (provider.needsConfiguration || !provider.secretRef || !type.config.safeParse(provider.config).success) {
    throw new AppError(
      'PRECONDITION_FAILED',
      `Provider "${provider.name}" needs configuration before agents can use it`,
      {
        reason: 'PROVIDER_NOT_CONFIGURED',
      },
    );
  }
  const run: RunContext = { agentId: input.agentId, chatId: input.chatId, runId: input.runId };
  const heldAt = (id: string, version: number | null) => version !== null && input.held.get(id) === version;
  const unlessHeld = (grant: Grant): Grant | Held =>
    heldAt(grant.id, grant.version) ? { id: grant.id, version: grant.version, expiresAt: null, held: true } : grant;

  const mcpServer = async (server: (typeof config.mcpServers)[number]): Promise<Grant | Held | null> => {
    if (server.auth === 'bearer' && !server.secretRef && !server.hasLegacyToken) return null;
    // Being attached to the agent is what authorises an MCP token; the config query just checked that.
    if (server.secretRef && heldAt(server.secretRef, server.secretVersion))
      return { id: server.secretRef, version: server.secretVersion!, expiresAt: null, held: true };
    const heldOAuth = server.auth === 'oauth' ? input.held.get(server.id) : undefined;
    if (heldOAuth !== undefined && (await accessTokenCurrent(deps, input.orgId, server.id, heldOAuth)))
      return { id: server.id, version: heldOAuth, expiresAt: null, held: true };
    return mcpTokenGrant(call, { orgId: input.orgId, mcpServerId: server.id, ...run }).catch((err: unknown) => {
      throw signInNeeded(err, server.name) ?? err;
    });
  };

  const infraNames = type.infraSecrets.filter((name) => !input.ownInfraSecrets.includes(name));
  const [providerKey, infra, mcp] = await Promise.all([
    secretGrant(call, { orgId: input.orgId, secretId: provider.secretRef, ...run }).then(unlessHeld),
    Promise.all(infraNames.map((name) => infraGrant(call, name).then(unlessHeld))),
    Promise.all(config.mcpServers.map(mcpServer)),
  ]);

  const all = [providerKey, ...infra, ...mcp];
  const toSend = all.filter((g): g is Grant => g !== null && !('held' in g));
  const values = await deliver(call, toSend);
  const valueOf = new Map(toSend.map((g, i) => [g, values[i]!]));
  const credential = (g: Grant | Held) => ({
    id: g.id,
    version: g.version,
    value: 'held' in g ? null : valueOf.get(g)!,
    expiresAt: isoOrNull(g.expiresAt),
  });
  return {
    config,
    credentials: {
      provider: credential(providerKey),
      infra: Object.fromEntries(infraNames.map((name, i) => [name, credential(infra[i]!)])),
      mcpServers: Object.fromEntries(
        config.mcpServers.flatMap((s, i) => (mcp[i] ? [[s.id, credential(mcp[i])] as const] : [])),
      ),
    },
  };
}
