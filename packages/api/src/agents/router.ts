import { z } from 'zod';
import { emptyInput, id } from '../core/schemas';
import { memberProcedure, openapi, router } from '../core/trpc';
import { agent, createAgentInput, updateAgentInput } from './schemas';
import * as agents from './service';

const byId = z.strictObject({ id });

/** Agents pick a provider (never a secret) and a model id; members may create and edit them. */
export const agentsRouter = router({
  list: memberProcedure
    .meta(openapi('GET', '/agents.list'))
    .input(emptyInput)
    .output(z.array(agent))
    .query(({ ctx }) => agents.listAgents(ctx)),
  get: memberProcedure
    .meta(openapi('GET', '/agents.get'))
    .input(byId)
    .output(agent)
    .query(({ ctx, input }) => agents.getAgent(ctx, input.id)),
  create: memberProcedure
    .meta(openapi('POST', '/agents.create'))
    .input(createAgentInput)
    .output(agent)
    .mutation(({ ctx, input }) => agents.createAgent(ctx, input)),
  update: memberProcedure
    .meta(openapi('POST', '/agents.update'))
    .input(updateAgentInput)
    .output(agent)
    .mutation(({ ctx, input }) => agents.updateAgent(ctx, input)),
  delete: memberProcedure
    .meta(openapi('POST', '/agents.delete'))
    .input(byId)
    .output(byId)
    .mutation(({ ctx, input }) => agents.deleteAgent(ctx, input.id)),
});
