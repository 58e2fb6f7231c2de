import { z } from 'zod';
import { emptyInput, id } from '../core/schemas';
import { adminProcedure, memberProcedure, openapi, router } from '../core/trpc';
import { createMcpServerInput, mcpServer, updateMcpServerInput, validateInput, validateOutput } from './schemas';
import * as servers from './service';
import { disconnect } from '../mcp-oauth/disconnect';
import { startConnect } from '../mcp-oauth/connect';

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
  /**
   * Starts signing an OAuth MCP server in: the URL to send the admin's browser to (null for the
   * client credentials grant, which connects at once).
   */
  connect: adminProcedure
    .meta(openapi('POST', '/mcpServers.connect'))
    .input(byId)
    .output(z.strictObject({ authorizationUrl: z.string().nullable() }))
    .mutation(({ ctx, input }) => startConnect(ctx, input.id)),
  /** Revokes the OAuth tokens where the authorization server allows it, then deletes them. */
  disconnect: adminProcedure
    .meta(openapi('POST', '/mcpServers.disconnect'))
    .input(byId)
    .output(mcpServer)
    .mutation(async ({ ctx, input }) => {
      await disconnect(ctx, input.id);
      return servers.getMcpServer(ctx, input.id);
    }),
  /** Connects server side with the stored (or given) credential and lists the tools. */
  validate: adminProcedure
    .meta(openapi('POST', '/mcpServers.validate'))
    .input(validateInput)
    .output(validateOutput)
    .mutation(({ ctx, input }) => servers.validateMcpServer(ctx, input)),
});
