import { z } from 'zod';
import { id, timestamp } from '../core/schemas';
import { adminProcedure, openapi, router } from '../core/trpc';
import * as grants from './service';

const grantInput = z.strictObject({ secretId: id, granteeType: z.enum(['group', 'agent']), granteeId: id });
const ok = z.strictObject({ ok: z.literal(true) });

export const grantsRouter = router({
  list: adminProcedure
    .meta(openapi('GET', '/grants.list'))
    .input(z.strictObject({ secretId: id }))
    .output(z.array(z.strictObject({ granteeType: z.enum(['group', 'agent']), granteeId: id, createdAt: timestamp })))
    .query(({ ctx, input }) => grants.listGrants(ctx, input.secretId)),
  add: adminProcedure
    .meta(openapi('POST', '/grants.add'))
    .input(grantInput)
    .output(ok)
    .mutation(({ ctx, input }) => grants.addGrant(ctx, input)),
  remove: adminProcedure
    .meta(openapi('POST', '/grants.remove'))
    .input(grantInput)
    .output(ok)
    .mutation(({ ctx, input }) => grants.removeGrant(ctx, input)),
});
