import { z } from 'zod';
import { readInfraSecret } from '../infra-secrets/service';
import { id } from '../core/schemas';
import { router, workerProcedure } from '../core/trpc';
import { notFound } from '../core/errors';
import { resolveSecret, secretEvents, secretVersions } from './service';

/** Every internal call names the org it acts for; a worker token serves only its own org. */
const forOrg = workerProcedure.input(z.object({ orgId: id })).use(({ ctx, input, next }) => {
  if (input.orgId !== ctx.actor.orgId) throw notFound('Org');
  return next();
});

const runContext = { agentId: id, chatId: id.optional(), runId: z.string().trim().min(1).max(100).optional() };
const secretEvent = z.strictObject({
  type: z.enum(['secret.changed', 'secret.deleted']),
  orgId: id,
  id,
  version: z.number().int(),
});

/** What the agents runtime calls, with a worker token. Never in the OpenAPI document. */
export const internalRouter = router({
  resolveSecret: forOrg
    .input(z.strictObject({ orgId: id, secretId: id, ...runContext }))
    .output(z.strictObject({ id, version: z.number().int(), value: z.string() }))
    .query(({ ctx, input }) => resolveSecret(ctx, input)),
  secretVersions: forOrg
    .input(z.strictObject({ orgId: id, ids: z.array(id).max(1000) }))
    .output(z.record(z.string(), z.number().int()))
    .query(({ ctx, input }) => secretVersions(ctx, input.orgId, input.ids)),
  /** SSE: `secret.changed` / `secret.deleted` of the worker's org as they commit. */
  events: workerProcedure
    .input(z.strictObject({ orgId: id.optional() }).prefault({}))
    .use(({ ctx, input, next }) => {
      if (input.orgId && input.orgId !== ctx.actor.orgId) throw notFound('Org');
      return next();
    })
    .subscription(async function* ({ ctx, signal }) {
      for await (const event of secretEvents(ctx, ctx.actor.orgId, signal)) yield secretEvent.parse(event);
    }),
  infraSecret: workerProcedure
    .input(z.strictObject({ name: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, { error: 'is not an infra secret name' }) }))
    .output(z.strictObject({ name: z.string(), version: z.number().int(), value: z.string() }))
    .query(({ ctx, input }) => readInfraSecret(ctx, input.name)),
});
