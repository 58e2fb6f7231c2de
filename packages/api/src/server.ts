import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify from 'fastify';
import { adminConsole, type ConsoleOptions, consoleOptionsFromEnv } from './console/plugin';
import { bearerToken, createContextInner } from './core/context';
import type { AppDeps } from './core/deps';
import { httpPolicy, retryAfterMeta } from './core/http-policy';
import { readiness } from './health/router';
import { openApiDocs } from './openapi/plugin';
import { type AppRouter, appRouter } from './router';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** tRPC batches above this size are refused with 400. */
export const MAX_BATCH_SIZE = 50;

/**
 * The HTTP server: tRPC at /trpc, /healthz, /readyz, the API docs at /docs and /openapi.json,
 * the admin console at /, security headers and request ids.
 * @example const app = await buildServer(deps); await app.listen({ port: 8080, host: '127.0.0.1' });
 */
export async function buildServer(deps: AppDeps, options: { console?: ConsoleOptions } = {}) {
  const app = Fastify({
    loggerInstance: deps.log,
    // An incoming x-request-id is kept only if it is short and plain, so it cannot forge log lines.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    routerOptions: { maxParamLength: 5000 },
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    trustProxy: deps.config.trustProxy,
  });
  // Event subscriptions never end on their own: end them when the server closes, so SIGTERM
  // drains in-flight requests instead of waiting on open streams.
  app.addHook('preClose', async () => deps.events.interrupt());
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onRequest', httpPolicy);
  await app.register(helmet, {
    global: true,
    // Everything the console and /docs load is same-origin, so upgrading requests adds nothing; and
    // over plain HTTP on a non-loopback address (HOST=0.0.0.0 without TLS) it would send the
    // browser to https:// for every script and stylesheet, and the pages would not load.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    // Sent by httpPolicy, only over TLS.
    strictTransportSecurity: false,
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: ({ req }) =>
        createContextInner({
          deps,
          token: bearerToken(req.headers.authorization),
          requestId: req.id,
          address: req.ip,
        }),
      responseMeta: ({ errors }) => retryAfterMeta(errors),
      onError({ error, path, ctx }) {
        const level = error.code === 'INTERNAL_SERVER_ERROR' ? 'error' : 'info';
        deps.log[level](
          { path, code: error.code, reqId: ctx?.requestId, err: error.cause ?? error },
          'procedure failed',
        );
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const state = await readiness(deps);
    return reply.code(state.ok ? 200 : 503).send(state);
  });
  await app.register(openApiDocs);
  await app.register(adminConsole, options.console ?? consoleOptionsFromEnv(process.env));
  return app;
}
