import { z } from 'zod';
import { infraSecretVersions } from '../infra-secrets/service';
import { id, INT32_MAX, text } from '../core/schemas';
import { router, workerProcedure } from '../core/trpc';
import { notFound } from '../core/errors';
import { runtimeProvider } from '../providers/schemas';
import { runCredentials } from './run-credentials';
import {
  agentRuntimeConfig,
  readInfraSecret,
  resolveMcpToken,
  resolveSecret,
  secretEvents,
  secretVersions,
} from './service';

/**
 * Every internal call names the org it acts for; a worker token serves only its own org. The
 * input is parsed once, with `orgId`, and then checked (one middleware, not a second parser).
 */
function forOrg<T extends z.ZodRawShape>(shape: T) {
  return workerProcedure.input(z.strictObject({ orgId: id, ...shape })).use(({ ctx, input, next }) => {
    if ((input as { orgId: string }).orgId !== ctx.actor.orgId) throw notFound('Org');
    return next();
  });
}

const infraName = text({ max: 64 }).regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, { error: 'is not an infra secret name' });

const runContext = { agentId: id, chatId: id.optional(), runId: text({ min: 1, max: 100 }).optional() };

const runtimeConfig = z.strictObject({
  agent: z.strictObject({ id, name: z.string(), modelId: z.string(), instructions: z.string() }),
  provider: runtimeProvider,
  model: z.string(),
  mcpServers: z.array(
    z.strictObject({
      id,
      name: z.string(),
      url: z.string(),
      /** `oauth`: the token comes from `resolveMcpToken` (no secret reference). */
      auth: z.enum(['bearer', 'oauth']),
      secretRef: id.nullable(),
      secretVersion: z.number().int().nullable(),
      hasLegacyToken: z.boolean(),
    }),
  ),
});

/**
 * A value for a run, under the id and version the runtime caches it by; `value` is null when the
 * caller said it holds this version. `expiresAt`: when an OAuth access token stops working.
 */
const credential = z.strictObject({
  id: z.string(),
  version: z.number().int(),
  value: z.string().nullable(),
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
});
/** What the agents runtime calls, with a worker token. Never in the OpenAPI document. */
export const internalRouter = router({
  resolveSecret: forOrg({ secretId: id, ...runContext })
    .output(z.strictObject({ id, version: z.number().int(), value: z.string() }))
    .query(({ ctx, input }) => resolveSecret(ctx, input)),
  /** The agent, its provider and MCP servers, with secret references and versions, no values. */
  agentRuntimeConfig: forOrg({ agentId: id, chatId: id.optional() })
    .output(runtimeConfig)
    .query(({ ctx, input }) => agentRuntimeConfig(ctx, input)),
  /**
   * One call per run: the agent's config and every credential the run needs (provider key, the
   * provider type's infra secrets, MCP tokens), each authorised and audited as the per-value
   * procedures do. `held` names values the runtime has cached, with versions: those still current
   * come back with `value: null`. Sent as POST by the client.
   */
  runCredentials: forOrg({
    ...runContext,
    held: z
      .array(z.strictObject({ id: text({ min: 1, max: 100 }), version: z.number().int().min(0).max(INT32_MAX) }))
      .max(500)
      .default([]),
    ownInfraSecrets: z.array(infraName).max(100).default([]),
  })
    .output(
      z.strictObject({
        config: runtimeConfig,
        credentials: z.strictObject({
          provider: credential,
          infra: z.record(z.string(), credential),
          mcpServers: z.record(id, credential),
        }),
      }),
    )
    .query(({ ctx, input }) =>
      runCredentials(ctx, { ...input, held: new Map(input.held.map((h) => [h.id, h.version])) }),
    ),
  /**
   * The bearer token of one of the agent's MCP servers (its secret, the legacy token, or a valid
   * OAuth access token, refreshed when near `expiresAt`); PRECONDITION_FAILED reason
   * `MCP_REAUTH_REQUIRED` when the OAuth connection needs signing in again.
   */
  resolveMcpToken: forOrg({ mcpServerId: id, ...runContext })
    .output(
      z.strictObject({
        value: z.string(),
        secretId: id.nullable(),
        version: z.number().int(),
        expiresAt: z.iso.datetime({ offset: true }).nullable(),
      }),
    )
    .query(({ ctx, input }) => resolveMcpToken(ctx, input)),
  /** Sent as POST by the client (a GET of 1,000 ids would exceed the header limit). */
  secretVersions: forOrg({ ids: z.array(id).max(1000) })
    .output(z.record(z.string(), z.number().int()))
    .query(({ ctx, input }) => secretVersions(ctx, input.orgId, input.ids)),
  /** Current versions of infra secrets, for a runtime re-checking its cache. */
  infraSecretVersions: workerProcedure
    .input(z.strictObject({ names: z.array(infraName).max(100) }))
    .output(z.record(z.string(), z.number().int()))
    .query(({ ctx, input }) => infraSecretVersions(ctx, input.names)),
  /**
   * SSE: `secret.changed` / `secret.deleted` of the worker's org, and `infra_secret.changed`, as
   * they commit.
   */
  events: workerProcedure
    .input(z.strictObject({ orgId: id.optional() }).prefault({}))
    .use(({ ctx, input, next }) => {
      if (input.orgId && input.orgId !== ctx.actor.orgId) throw notFound('Org');
      return next();
    })
    .subscription(({ ctx, signal }) => secretEvents(ctx, ctx.actor.orgId, signal)),
  infraSecret: workerProcedure
    .input(z.strictObject({ name: infraName }))
    .output(z.strictObject({ name: z.string(), version: z.number().int(), value: z.string() }))
    .query(({ ctx, input }) => readInfraSecret(ctx, input.name)),
});
