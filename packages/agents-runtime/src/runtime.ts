import { createGuardedFetch, parseAllowlist } from '@strongroom/address-guard';
import { createStrongroomClient, isStrongroomError, type RouterOutputs } from '@strongroom/client';
import { AiGatewayDoesNotExist, AiGatewayUnauthorizedError, createAiGateway } from 'ai-gateway-provider';
import { createUnified } from 'ai-gateway-provider/providers/unified';
import { APICallError, generateText, type ModelMessage, stepCountIs, streamText, wrapLanguageModel } from 'ai';
import { AgentsRuntimeError, type RuntimeErrorCode } from './errors';
import { DEFAULT_GATEWAY_BASE_URL, gatewayBinding } from './gateway';
import { openMcpTools } from './mcp-tools';
import { createScrubber, type Scrubber } from './scrub';
import { type CachedValue, createSecretCache } from './secret-cache';

export interface AgentsRuntimeOptions {
  /** Strongroom's origin, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** A worker token of the org(s) this runtime serves. */
  workerToken: string;
  gateway?: {
    /** Default: Cloudflare's AI Gateway. */
    baseUrl?: string;
    /** The global AI Gateway token; default `AI_GATEWAY_TOKEN`, else the `ai-gateway-token` infra secret. */
    token?: string;
  };
  /**
   * `maxAgeMs`: how long a resolved value may be reused at most; `tokenExpiryMarginMs`: an OAuth
   * access token is dropped this long before it expires (default 30 s), so a fresh one is asked for.
   */
  cache?: { maxAgeMs?: number; tokenExpiryMarginMs?: number };
  mcp?: {
    /**
     * Destinations allowed although the address guard blocks them (loopback, private, link-local,
     * metadata…): host names, IP addresses or CIDRs, as an array or a comma-separated string.
     * Default: `MCP_ALLOWED_HOSTS`, the same setting the API uses.
     */
    allowedHosts?: string | readonly string[];
    /** Time to connect and receive response headers per MCP request, in ms (default 300 000). */
    timeoutMs?: number;
  };
  /** Model/tool round trips per run (default 5). */
  maxSteps?: number;
  /** For calls to Strongroom and the gateway; MCP servers are always reached through the address guard. */
  fetch?: typeof globalThis.fetch;
}

export interface RunInput {
  orgId: string;
  agentId: string;
  chatId?: string;
  messages: ModelMessage[];
}

type RuntimeConfig = RouterOutputs['internal']['agentRuntimeConfig'];
const GATEWAY_TOKEN = 'ai-gateway-token';
/** Cache ids of values that are not org secrets: infra secrets by name, legacy MCP tokens by server. */
const INFRA_PREFIX = 'infra:';
const LEGACY_PREFIX = 'legacy:';
const infraId = (name: string) => `${INFRA_PREFIX}${name}`;
/** What `internal.secretVersions` accepts per call. */
const VERSIONS_PER_CALL = 1_000;
const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * The worker SDK: resolves credentials at run time (cached per asker and version, dropped on change
 * events), calls the agent's model through Cloudflare AI Gateway in BYOK pass-through, and gives
 * it the agent's MCP tools — never putting a credential into model context, a log or an error.
 * @example
 * const runtime = createAgentsRuntime({ url, workerToken });
 * const { text } = await runtime.runAgent({ orgId, agentId, messages: [{ role: 'user', content: 'hi' }] });
 */
export function createAgentsRuntime(options: AgentsRuntimeOptions) {
  if (!options?.workerToken) throw new TypeError('Expected `workerToken` to be a Strongroom worker token');
  const client = createStrongroomClient({
    url: options.url,
    token: options.workerToken,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const cache = createSecretCache({
    maxAgeMs: options.cache?.maxAgeMs ?? 5 * 60_000,
    ...(options.cache?.tokenExpiryMarginMs !== undefined ? { expiryMarginMs: options.cache.tokenExpiryMarginMs } : {}),
  });
  const baseUrl = options.gateway?.baseUrl ?? DEFAULT_GATEWAY_BASE_URL;
  const gatewayTokenOverride = options.gateway?.token ?? process.env.AI_GATEWAY_TOKEN;
  const maxSteps = options.maxSteps ?? 5;
  const mcpFetch = createGuardedFetch({
    allow: parseAllowlist(options.mcp?.allowedHosts ?? process.env.MCP_ALLOWED_HOSTS ?? '', {
      setting: options.mcp?.allowedHosts === undefined ? 'MCP_ALLOWED_HOSTS' : '`mcp.allowedHosts`',
    }),
    timeoutMs: options.mcp?.timeoutMs ?? 300_000,
  });
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
          if (event.type === 'infra_secret.changed') cache.drop(infraId(event.name), event.version);
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
      for (const [name, version] of Object.entries(infra)) current[infraId(name)] = version;
      for (const [id, version] of held)
        if (!id.startsWith(LEGACY_PREFIX) && current[id] !== version)
          cache.drop(id, current[id] ?? Number.MAX_SAFE_INTEGER);
    } catch {
      cache.clear();
    }
  }

  /** Runs a Strongroom call, turning its errors into typed runtime errors. */
  async function call<T>(fn: () => Promise<T>, notFound: RuntimeErrorCode): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isStrongroomError(err, 'NOT_FOUND')) throw new AgentsRuntimeError(notFound, err.message);
      if (isStrongroomError(err, 'FORBIDDEN')) throw new AgentsRuntimeError('GRANT_DENIED', err.message);
      if (isStrongroomError(err, 'PRECONDITION_FAILED')) {
        const reason = (err.data as { reason?: unknown } | undefined)?.reason;
        if (reason === 'MCP_REAUTH_REQUIRED' || reason === 'MCP_NOT_CONNECTED')
          throw new AgentsRuntimeError(reason, err.message);
        throw new AgentsRuntimeError('PROVIDER_NOT_CONFIGURED', err.message);
      }
      throw new AgentsRuntimeError(
        'STRONGROOM_UNAVAILABLE',
        `Strongroom could not be reached or failed: ${(err as Error).message}`,
      );
    }
  }

  const cached = (key: string, orgId: string, resolve: () => Promise<CachedValue>) => {
    watch(orgId);
    return cache.get(key, resolve);
  };

  async function resolveSecret(input: { orgId: string; secretId: string; agentId: string; chatId?: string }) {
    const key = `secret|${input.orgId}|${input.secretId}|${input.agentId}|${input.chatId ?? ''}`;
    const got = await cached(key, input.orgId, async () => {
      const r = await call(() => client.internal.resolveSecret.query(input), 'SECRET_NOT_FOUND');
      return { secretId: r.id, version: r.version, value: r.value };
    });
    return { id: got.secretId, version: got.version, value: got.value };
  }

  /**
   * The server's bearer token. An OAuth access token is cached under the server's id (its events
   * drop it) and only until shortly before it expires; a server that needs signing in again fails
   * the run at once with a typed error naming it.
   */
  async function mcpToken(orgId: string, input: RunInput, server: RuntimeConfig['mcpServers'][number]) {
    const oauth = server.auth === 'oauth';
    if (!oauth && !server.secretRef && !server.hasLegacyToken) return null;
    const key = `mcp|${orgId}|${server.id}|${input.agentId}|${input.chatId ?? ''}`;
    const got = await cached(key, orgId, async () => {
      const r = await call(
        () =>
          client.internal.resolveMcpToken.query({
            orgId,
            agentId: input.agentId,
            mcpServerId: server.id,
            ...(input.chatId ? { chatId: input.chatId } : {}),
          }),
        'MCP_SERVER_FAILED',
      ).catch((err: unknown) => {
        if (
          err instanceof AgentsRuntimeError &&
          (err.code === 'MCP_REAUTH_REQUIRED' || err.code === 'MCP_NOT_CONNECTED')
        )
          throw new AgentsRuntimeError(
            err.code,
            err.code === 'MCP_REAUTH_REQUIRED'
              ? `MCP server "${server.name}" needs signing in again: an admin must reconnect it`
              : `MCP server "${server.name}" is not connected: an admin must connect it`,
            { mcpServerId: server.id },
          );
        throw err;
      });
      return {
        secretId: oauth ? server.id : (r.secretId ?? `${LEGACY_PREFIX}${server.id}`),
        version: r.version,
        value: r.value,
        expiresAt: r.expiresAt ? Date.parse(r.expiresAt) : undefined,
      };
    });
    return got.value;
  }

  async function gatewayToken(orgId: string): Promise<string> {
    if (gatewayTokenOverride) return gatewayTokenOverride;
    const got = await cached(`infra|${GATEWAY_TOKEN}`, orgId, async () => {
      const r = await call(() => client.internal.infraSecret.query({ name: GATEWAY_TOKEN }), 'GATEWAY_TOKEN_MISSING');
      return { secretId: infraId(r.name), version: r.version, value: r.value };
    });
    return got.value;
  }

  /** Everything a run needs, resolved; the scrubber knows every value. */
  async function prepare(input: RunInput) {
    const config = await call(
      () =>
        client.internal.agentRuntimeConfig.query({
          orgId: input.orgId,
          agentId: input.agentId,
          ...(input.chatId ? { chatId: input.chatId } : {}),
        }),
      'AGENT_NOT_FOUND',
    );
    const { provider } = config;
    if (provider.needsConfiguration || !provider.secretRef || !provider.config.accountId || !provider.config.gateway) {
      throw new AgentsRuntimeError(
        'PROVIDER_NOT_CONFIGURED',
        `Provider "${provider.name}" needs configuration before agents can use it`,
      );
    }
    const [providerKey, token, mcpTokens] = await Promise.all([
      resolveSecret({
        orgId: input.orgId,
        secretId: provider.secretRef,
        agentId: input.agentId,
        ...(input.chatId ? { chatId: input.chatId } : {}),
      }),
      gatewayToken(input.orgId),
      Promise.all(config.mcpServers.map((server) => mcpToken(input.orgId, input, server))),
    ]);
    const scrub = createScrubber([providerKey.value, token, ...mcpTokens.filter((t): t is string => !!t)]);
    const model = wrapLanguageModel({
      model: createAiGateway({
        binding: gatewayBinding({
          baseUrl,
          accountId: provider.config.accountId,
          gateway: provider.config.gateway,
          token,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
      })(createUnified({ apiKey: providerKey.value })(config.model)),
      // Every prompt of every step is scrubbed: it carries the model's own earlier tool-call
      // arguments back to it, besides the messages and tool results.
      middleware: { transformParams: async ({ params }) => ({ ...params, prompt: scrub.deep(params.prompt) }) },
    });
    const mcp = await openMcpTools(
      config.mcpServers.map((s, i) => ({ id: s.id, name: s.name, url: s.url, token: mcpTokens[i] ?? null })),
      scrub,
      mcpFetch,
    );
    return { config, scrub, model, mcp };
  }

  function modelInput(config: RuntimeConfig, scrub: Scrubber, messages: ModelMessage[]) {
    return {
      ...(config.agent.instructions ? { instructions: config.agent.instructions } : {}),
      messages: scrub.deep(messages),
      stopWhen: stepCountIs(maxSteps),
    };
  }

  function summarize(
    scrub: Scrubber,
    steps: {
      text: string;
      finishReason: string;
      toolCalls: { toolName: string; input: unknown }[];
      toolResults: { toolName: string; output: unknown }[];
    }[],
  ) {
    return steps.map((step) =>
      scrub.deep({
        text: step.text,
        finishReason: step.finishReason,
        toolCalls: step.toolCalls.map((c) => ({ toolName: c.toolName, input: c.input })),
        toolResults: step.toolResults.map((r) => ({ toolName: r.toolName, output: r.output })),
      }),
    );
  }

  return {
    /** One agent turn: the model's final text and each step's tool calls and results, scrubbed. */
    async runAgent(input: RunInput) {
      const { config, scrub, model, mcp } = await prepare(input);
      try {
        const result = await generateText({ model, tools: mcp.tools, ...modelInput(config, scrub, input.messages) });
        return { text: scrub.text(result.text), steps: summarize(scrub, result.steps) };
      } catch (err) {
        throw toRuntimeError(err, scrub);
      } finally {
        await mcp.close();
      }
    },

    /**
     * The same turn, streamed: text deltas as the model produces them (each held back just long
     * enough that a credential split across two deltas is still caught), then the final result.
     */
    async *streamAgent(input: RunInput): AsyncGenerator<string, { text: string; steps: ReturnType<typeof summarize> }> {
      const { config, scrub, model, mcp } = await prepare(input);
      try {
        const result = streamText({ model, tools: mcp.tools, ...modelInput(config, scrub, input.messages) });
        let pending = '';
        for await (const delta of result.textStream) {
          pending = scrub.text(pending + delta);
          const safe = pending.length - scrub.maxLength;
          if (safe > 0) {
            yield pending.slice(0, safe);
            pending = pending.slice(safe);
          }
        }
        if (pending) yield pending;
        return { text: scrub.text(await result.text), steps: summarize(scrub, await result.steps) };
      } catch (err) {
        throw toRuntimeError(err, scrub);
      } finally {
        await mcp.close();
      }
    },

    resolveSecret,

    /** Stops the event subscriptions and forgets every cached value. */
    close() {
      for (const s of subscriptions.values()) s.unsubscribe();
      subscriptions.clear();
      cache.clear();
    },
  };
}

/** Maps what the AI SDK and the gateway throw to typed errors, scrubbed. */
function toRuntimeError(err: unknown, scrub: Scrubber): AgentsRuntimeError {
  if (err instanceof AgentsRuntimeError) return new AgentsRuntimeError(err.code, scrub.text(err.message), err.details);
  if (err instanceof AiGatewayUnauthorizedError)
    return new AgentsRuntimeError('GATEWAY_UNAUTHORIZED', 'The AI Gateway refused the gateway token');
  if (err instanceof AiGatewayDoesNotExist)
    return new AgentsRuntimeError('GATEWAY_NOT_FOUND', 'The AI Gateway named by the provider does not exist');
  const cause = err instanceof Error && err.cause instanceof AgentsRuntimeError ? err.cause : undefined;
  if (cause) return toRuntimeError(cause, scrub);
  if (APICallError.isInstance(err)) {
    return new AgentsRuntimeError(
      'GATEWAY_ERROR',
      `The model call failed with status ${err.statusCode ?? 'unknown'}: ${scrub.text(err.message)}`,
    );
  }
  return new AgentsRuntimeError(
    'GATEWAY_ERROR',
    `The model call failed: ${scrub.text(err instanceof Error ? err.message : String(err))}`,
  );
}

export type AgentsRuntime = ReturnType<typeof createAgentsRuntime>;
