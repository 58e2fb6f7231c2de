import { isStrongroomError, type RouterOutputs, type StrongroomClient } from '@strongroom/client';
import { AgentsRuntimeError, type RuntimeErrorCode } from './errors';
import type { CachedValue, SecretCache } from './secret-cache';

export type RunCredentials = RouterOutputs['internal']['runCredentials'];
export type RuntimeConfig = RunCredentials['config'];
type Credential = RunCredentials['credentials']['provider'];

export interface RunAsker {
  orgId: string;
  agentId: string;
  chatId?: string | undefined;
}

/** Cache ids of values that are not org secrets: infra secrets by name, legacy MCP tokens by server. */
const INFRA_PREFIX = 'infra:';
const LEGACY_PREFIX = 'legacy:';
/** Cache keys of infra secrets: one entry per runtime, whoever asked. */
const INFRA_KEY = 'infra|';
/** What `internal.secretVersions` accepts per call. */
const VERSIONS_PER_CALL = 1_000;
const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Runs a Strongroom call, turning its errors into typed runtime errors (the cause kept, scrubbed). */
async function call<T>(fn: () => Promise<T>, notFound: RuntimeErrorCode): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const typed = (code: RuntimeErrorCode, message = (err as Error).message, details?: Record<string, string>) =>
      new AgentsRuntimeError(code, message, details, { cause: err });
    if (isStrongroomError(err, 'NOT_FOUND'))
      throw typed(err.data?.reason === 'INFRA_SECRET_MISSING' ? 'GATEWAY_TOKEN_MISSING' : notFound);
    if (isStrongroomError(err, 'FORBIDDEN')) throw typed('GRANT_DENIED');
    if (isStrongroomError(err, 'PRECONDITION_FAILED')) {
      const { reason, details } = (err.data ?? {}) as { reason?: unknown; details?: { mcpServerId?: unknown } };
      if (reason === 'MCP_REAUTH_REQUIRED' || reason === 'MCP_NOT_CONNECTED')
        throw typed(
          reason,
          err.message,
          typeof details?.mcpServerId === 'string' ? { mcpServerId: details.mcpServerId } : {},
        );
      throw typed('PROVIDER_NOT_CONFIGURED');
    }
    throw typed('STRONGROOM_UNAVAILABLE', `Strongroom could not be reached or failed: ${(err as Error).message}`);
  }
}

/**
 * Credential resolution for the runtime: one authorised call per run for everything it needs
 * (`internal.runCredentials`), the per-secret call for other uses, and the cache behind both —
 * values reused within their max age and dropped by change events (one subscription per org),
 * with versions re-checked whenever that subscription (re)starts.
 */
export function createResolver(deps: {
  client: StrongroomClient;
  cache: SecretCache;
  /** Infra secrets the runtime has from its own configuration, by name: never asked for. */
  ownInfraSecrets: Readonly<Record<string, string>>;
}) {
  const { client, cache } = deps;
  const subscriptions = new Map<string, { unsubscribe(): void }>();

  /**
   * One subscription per org: change events drop cached values. Values cached before the stream
   * was live, or while it was down, are re-checked against current versions when it (re)starts.
   */
  function watch(orgId: string) {
    if (subscriptions.has(orgId)) return;
    let lost = false;
    const subscription = client.internal.events.subscribe(
      { orgId },
      {
        onStarted: () => void resync(orgId),
        onData: (event) => {
          if (event.type === 'infra_secret.changed') cache.drop(`${INFRA_PREFIX}${event.name}`, event.version);
          else cache.drop(event.id, event.type === 'secret.deleted' ? Number.MAX_SAFE_INTEGER : event.version);
        },
        onConnectionStateChange: (state) => {
          if (state.state === 'connecting' && state.error) lost = true;
          if (state.state === 'pending' && lost) {
            lost = false;
            void resync(orgId);
          }
        },
        onError: () => {
          subscriptions.delete(orgId);
          cache.clear();
        },
      },
    );
    subscriptions.set(orgId, subscription);
  }

  /**
   * Re-checks held values against current versions: secrets by id, infra secrets by name. Legacy
   * MCP tokens have no version to compare, so they are dropped. If the check fails, everything is.
   */
  async function resync(orgId: string) {
    const held = cache.held();
    if (held.size === 0) return;
    const ids: string[] = [];
    const infraNames: string[] = [];
    for (const id of held.keys()) {
      if (id.startsWith(INFRA_PREFIX)) infraNames.push(id.slice(INFRA_PREFIX.length));
      else if (id.startsWith(LEGACY_PREFIX)) cache.drop(id);
      else ids.push(id);
    }
    try {
      const [secrets, infra] = await Promise.all([
        Promise.all(
          chunks(ids, VERSIONS_PER_CALL).map((batch) => client.internal.secretVersions.query({ orgId, ids: batch })),
        ),
        infraNames.length
          ? client.internal.infraSecretVersions.query({ names: infraNames })
          : Promise.resolve<Record<string, number>>({}),
      ]);
      const current = Object.assign({}, ...secrets) as Record<string, number>;
      for (const [name, version] of Object.entries(infra)) current[`${INFRA_PREFIX}${name}`] = version;
      for (const [id, version] of held)
        if (!id.startsWith(LEGACY_PREFIX) && current[id] !== version)
          cache.drop(id, current[id] ?? Number.MAX_SAFE_INTEGER);
    } catch {
      cache.clear();
    }
  }

  /** One secret for an agent (in a chat), e.g. a tool credential: cached per asker and version. */
  async function resolveSecret(input: RunAsker & { secretId: string }) {
    watch(input.orgId);
    const key = `secret|${input.orgId}|${input.secretId}|${input.agentId}|${input.chatId ?? ''}`;
    const got = await cache.get(key, async () => {
      const r = await call(() => client.internal.resolveSecret.query(input), 'SECRET_NOT_FOUND');
      return { secretId: r.id, version: r.version, value: r.value };
    });
    return { id: got.secretId, version: got.version, value: got.value };
  }

  /**
   * The agent's config and every credential of the run, in one call. Values this runtime holds
   * (for this asker, or infra secrets for anyone) are named with their versions; Strongroom
   * authorises them again and sends only what changed, which is cached for the next run.
   */
  async function runCredentials(input: RunAsker) {
    watch(input.orgId);
    const asker = `run|${input.orgId}|${input.agentId}|${input.chatId ?? ''}|`;
    const held = new Map<string, CachedValue>(
      [...cache.under(asker), ...cache.under(INFRA_KEY)].map((v) => [v.secretId, v]),
    );
    const since = cache.mark();
    const r = await call(
      () =>
        client.internal.runCredentials.query({
          orgId: input.orgId,
          agentId: input.agentId,
          ...(input.chatId ? { chatId: input.chatId } : {}),
          held: [...held].map(([id, v]) => ({ id, version: v.version })),
          ownInfraSecrets: Object.keys(deps.ownInfraSecrets),
        }),
      'AGENT_NOT_FOUND',
    );
    const take = (key: string, c: Credential): string => {
      if (c.value === null) {
        const mine = held.get(c.id);
        if (mine?.version !== c.version)
          throw new AgentsRuntimeError(
            'STRONGROOM_UNAVAILABLE',
            `Strongroom withheld a value this runtime does not hold`,
          );
        return mine.value;
      }
      const expiresAt = c.expiresAt ? Date.parse(c.expiresAt) : undefined;
      cache.store(key, { secretId: c.id, version: c.version, value: c.value, expiresAt }, since);
      return c.value;
    };
    const { credentials } = r;
    return {
      config: r.config,
      providerKey: take(`${asker}${credentials.provider.id}`, credentials.provider),
      infra: {
        ...Object.fromEntries(
          Object.entries(credentials.infra).map(([name, c]) => [name, take(`${INFRA_KEY}${name}`, c)]),
        ),
        ...deps.ownInfraSecrets,
      } as Record<string, string>,
      /** Bearer tokens by MCP server id; a server without auth has none. */
      mcpTokens: new Map(Object.entries(credentials.mcpServers).map(([id, c]) => [id, take(`${asker}${c.id}`, c)])),
    };
  }

  return {
    resolveSecret,
    runCredentials,
    /** Stops the event subscriptions and forgets every cached value. */
    close: () => {
      for (const s of subscriptions.values()) s.unsubscribe();
      subscriptions.clear();
      cache.clear();
    },
  };
}

export type ResolvedRun = Awaited<ReturnType<ReturnType<typeof createResolver>['runCredentials']>>;
