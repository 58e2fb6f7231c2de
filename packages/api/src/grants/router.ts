import { z } from 'zod';
import { id, timestamp } from '../core/schemas';
import { adminProcedure, router } from '../core/trpc';
import * as grants from './service';

const grantInput = z.strictObject({ secretId: id, granteeType: z.enum(['group', 'agent']), granteeId: id });
const ok = z.strictObject({ ok: z.literal(true) });

export const grantsRouter = router({
  list: adminProcedure
    .input(z.strictObject({ secretId: id }))
    .output(z.array(z.strictObject({ granteeType: z.enum(['group', 'agent']), granteeId: id, createdAt: timestamp })))
    .query(({ ctx, input }) => grants.listGrants(ctx, input.secretId)),
  add: adminProcedure
    .input(grantInput)
    .output(ok)
    .mutation(({ ctx, input }) => grants.addGrant(ctx, input)),
  remove: adminProcedure
    .input(grantInput)
    .output(ok)
    .mutation(({ ctx, input }) => grants.removeGrant(ctx, input)),
});
