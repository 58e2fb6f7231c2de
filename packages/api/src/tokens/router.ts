import { z } from 'zod';
import { displayName, emptyInput, id, instant, timestamp } from '../core/schemas';
import { adminProcedure, openapi, router } from '../core/trpc';
import * as tokens from './service';

const tokenKind = z.enum(['user', 'worker']);

export const tokensRouter = router({
  list: adminProcedure
    .meta(openapi('GET', '/tokens.list'))
    .input(emptyInput)
    .output(
      z.array(
        z.strictObject({
          id,
          name: z.string(),
          kind: tokenKind,
          userId: id.nullable(),
          hint: z.string(),
          createdAt: timestamp,
          expiresAt: timestamp.nullable(),
          revokedAt: timestamp.nullable(),
          lastUsedAt: timestamp.nullable(),
        }),
      ),
    )
    .query(({ ctx }) => tokens.listTokens(ctx)),
  /** The token is in the answer once and never again. */
  create: adminProcedure
    .meta(openapi('POST', '/tokens.create'))
    .input(z.strictObject({ name: displayName(100), kind: tokenKind, expiresAt: instant.optional() }))
    .output(z.strictObject({ id, token: z.string() }))
    .mutation(({ ctx, input }) => tokens.createToken(ctx, input)),
  revoke: adminProcedure
    .meta(openapi('POST', '/tokens.revoke'))
    .input(z.strictObject({ id }))
    .output(z.strictObject({ id }))
    .mutation(({ ctx, input }) => tokens.revokeToken(ctx, input.id)),
});
