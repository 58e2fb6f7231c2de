import { z } from 'zod';
import { emptyInput, id } from '../core/schemas';
import { adminProcedure, memberProcedure, openapi, router } from '../core/trpc';
import { createProviderInput, provider, updateProviderInput } from './schemas';
import * as providers from './service';

const byId = z.strictObject({ id });

/** The org's catalog of model providers (Cloudflare AI Gateway, BYOK pass-through). */
export const providersRouter = router({
  list: memberProcedure
    .meta(openapi('GET', '/providers.list'))
    .input(emptyInput)
    .output(z.array(provider))
    .query(({ ctx }) => providers.listProviders(ctx)),
  get: memberProcedure
    .meta(openapi('GET', '/providers.get'))
    .input(byId)
    .output(provider)
    .query(({ ctx, input }) => providers.getProvider(ctx, input.id)),
  create: adminProcedure
    .meta(openapi('POST', '/providers.create'))
    .input(createProviderInput)
    .output(provider)
    .mutation(({ ctx, input }) => providers.createProvider(ctx, input)),
  update: adminProcedure
    .meta(openapi('POST', '/providers.update'))
    .input(updateProviderInput)
    .output(provider)
    .mutation(({ ctx, input }) => providers.updateProvider(ctx, input)),
  delete: adminProcedure
    .meta(openapi('POST', '/providers.delete'))
    .input(byId)
    .output(byId)
    .mutation(({ ctx, input }) => providers.deleteProvider(ctx, input.id)),
});
