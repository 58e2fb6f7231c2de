import { z } from 'zod';
import { emptyInput, id } from '../core/schemas';
import { adminProcedure, memberProcedure, openapi, router } from '../core/trpc';
import { createMcpServerInput, mcpServer, updateMcpServerInput, validateInput, validateOutput } from './schemas';
import * as servers from './service';

const byId = z.strictObject({ id });

/** MCP servers reference their bearer token as a secret; no output ever carries a token. */
export const mcpServersRouter = router({
  list: memberProcedure
    .meta(openapi('GET', '/mcpServers.list'))
    .input(emptyInput)
    .output(z.array(mcpServer))
    .query(({ ctx }) => servers.listMcpServers(ctx)),
  get: memberProcedure
    .meta(openapi('GET', '/mcpServers.get'))
    .input(byId)
    .output(mcpServer)
    .query(({ ctx, input }) => servers.getMcpServer(ctx, input.id)),
  create: adminProcedure
    .meta(openapi('POST', '/mcpServers.create'))
    .input(createMcpServerInput)
    .output(mcpServer)
    .mutation(({ ctx, input }) => servers.createMcpServer(ctx, input)),
  update: adminProcedure
    .meta(openapi('POST', '/mcpServers.update'))
    .input(updateMcpServerInput)
    .output(mcpServer)
    .mutation(({ ctx, input }) => servers.updateMcpServer(ctx, input)),
  delete: adminProcedure
    .meta(openapi('POST', '/mcpServers.delete'))
    .input(byId)
    .output(byId)
    .mutation(({ ctx, input }) => servers.deleteMcpServer(ctx, input.id)),
  /** Connects server side with the stored (or given) credential and lists the tools. */
  validate: adminProcedure
    .meta(openapi('POST', '/mcpServers.validate'))
    .input(validateInput)
    .output(validateOutput)
    .mutation(({ ctx, input }) => servers.validateMcpServer(ctx, input)),
});
