import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { CALLBACK_PATH, CLIENT_METADATA_PATH, clientMetadata } from './clients';
import { completeCallback } from './connect';

const param = z.string().max(4096).optional().catch(undefined);
const callbackQuery = z.object({ code: param, state: param, iss: param, error: param });

/**
 * The public OAuth routes: the redirect URI (`GET /oauth/mcp/callback`, bound by `state` alone)
 * and Strongroom's Client ID Metadata Document.
 * @example await app.register(mcpOAuthRoutes, { deps });
 */
export const mcpOAuthRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(CALLBACK_PATH, async (req, reply) => {
    const outcome = await completeCallback(deps, callbackQuery.parse(req.query ?? {}), req.id);
    reply.header('cache-control', 'no-store');
    if ('redirect' in outcome) return reply.redirect(outcome.redirect, 303);
    return reply.code(400).type('text/plain; charset=utf-8').send(outcome.refused);
  });
  app.get(CLIENT_METADATA_PATH, async () => {
    const publicUrl = deps.publicUrl.get();
    return { client_id: `${publicUrl}${CLIENT_METADATA_PATH}`, ...clientMetadata(publicUrl, 'none') };
  });
};
