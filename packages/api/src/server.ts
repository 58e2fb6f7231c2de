import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyRequest, LogController } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { consoleSignIn } from './core/identity-config';
import { adminConsole, type ConsoleOptions, consoleOptionsFromEnv } from './console/plugin';
import { bearerToken, createContextInner } from './core/context';
import type { AppDeps } from './app';
import { directProcedures } from './direct-procedures';
import { httpPolicy, retryAfterMeta } from './core/http-policy';
import { readiness } from './health/router';
import { mcpOAuthRoutes } from './mcp-oauth/routes';
import { openApiDocs } from './openapi/plugin';
import { type AppRouter, appRouter } from './router';
import { trpcUi } from './trpc-ui/plugin';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** tRPC batches above this size are refused with 400. */
export const MAX_BATCH_SIZE = 50;
/** The calls made most (by runtimes and the console), served without tRPC's fetch adapter. */
const DIRECT_PROCEDURES = {
  'internal.resolveSecret': 'query',
  'secrets.get': 'query',
  'secrets.reveal': 'mutation',
} as const;

/**
 * helmet's headers, computed once: none of our options depends on the request, so its middleware
 * is run once against a recorder (@fastify/helmet rebuilt it, CSP parsing included, per request;
 * even prebuilt, its setHeader calls cost more than handing Fastify one object).
 */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => {},
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return headers;
}

/**
 * What an API answer carries, after the OWASP REST Security Cheat Sheet, instead of the pages'
 * headers: nothing may store it (`internal.resolveSecret` is a GET that returns a value, and a
 * cache on the way would keep it), and nothing may frame, render or embed it.
 */
const API_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/**
 * The HTTP server: tRPC at /trpc, /healthz, /readyz, the API docs at /docs and /openapi.json,
 * the admin console at /, security headers and request ids.
 * @example const app = await buildServer(deps); await app.listen({ port: 8080, host: '127.0.0.1' });
 */
export async function buildServer(deps: AppDeps, options: { console?: ConsoleOptions } = {}) {
  const signIn = consoleSignIn(deps.config.oidcIssuers);
  const idpOrigins = signIn ? [new URL(signIn.issuer).origin] : [];
  const app = Fastify({
    loggerInstance: deps.log,
    // An incoming x-request-id is kept only if it is short and plain, so it cannot forge log lines.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    // One line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 5000 },
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    trustProxy: deps.config.trustProxy,
  });
  // Event subscriptions never end on their own: end them when the server closes, so SIGTERM
  // drains in-flight requests instead of waiting on open streams.
  app.addHook('preClose', async () => deps.events.interrupt());
  // Without PUBLIC_URL, OAuth redirect URIs use the address the server listens on.
  app.addHook('onListen', async () => {
    const address = app.server.address();
    if (address && typeof address !== 'string') {
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      deps.publicUrl.setDefault(`http://${host}:${address.port}`);
    }
  });
  const pageHeaders = helmetHeaders({
    // Everything the console and /docs load is same-origin, so upgrading requests adds nothing; and
    // over plain HTTP on a non-loopback address (HOST=0.0.0.0 without TLS) it would send the
    // browser to https:// for every script and stylesheet, and the pages would not load.
    // The console talks to its identity provider (discovery, token endpoint) from the page.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, connectSrc: ["'self'", ...idpOrigins] } },
    // Sent by httpPolicy, only over TLS.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id).headers(req.url.startsWith('/trpc/') ? API_HEADERS : pageHeaders);
    done();
  });
  app.addHook('onRequest', httpPolicy);
  // What Fastify's own request logging would have said about a failure it handled.
  app.addHook('onError', (req, reply, err, done) => {
    if (reply.statusCode >= 500) req.log.error({ err }, 'request failed');
    done();
  });
  // The request line holds only fields chosen here (the req serializer keeps method, path and id),
  // so no redact path can match it; pino's redaction would cost 4-5 µs of CPU per request.
  const requestLog = deps.log.child({}, { redact: [] });
  app.addHook('onResponse', (req, reply, done) => {
    requestLog.info(
      { reqId: req.id, req, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime },
      'request completed',
    );
    done();
  });

  // Off unless CORS_ORIGINS lists origins. Tokens travel in the Authorization header, never in
  // cookies, so no credentials mode.
  if (deps.config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: deps.config.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'trpc-accept', 'last-event-id', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    });
  }

  const context = (req: FastifyRequest) =>
    createContextInner({ deps, token: bearerToken(req.headers.authorization), requestId: req.id, address: req.ip });
  const trpcOptions = {
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    // Queries may come as POST: `internal.secretVersions` takes up to 1,000 ids, too many for a URL.
    allowMethodOverride: true,
    createContext: ({ req }) => context(req),
    responseMeta: ({ errors }) => retryAfterMeta(errors),
    onError({ error, path, ctx }) {
      const level = error.code === 'INTERNAL_SERVER_ERROR' ? 'error' : 'info';
      deps.log[level]({ path, code: error.code, reqId: ctx?.requestId, err: error.cause ?? error }, 'procedure failed');
    },
  } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'];
  await app.register(fastifyTRPCPlugin, { prefix: '/trpc', trpcOptions });
  await app.register(directProcedures, {
    prefix: '/trpc',
    procedures: DIRECT_PROCEDURES,
    trpcOptions,
    context,
    errorHeaders: (errors) => retryAfterMeta(errors).headers,
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const state = await readiness(deps);
    return reply.code(state.ok ? 200 : 503).send(state);
  });
  await app.register(openApiDocs);
  if (deps.config.trpcUi) await app.register(trpcUi, { router: appRouter, url: '/trpc' });
  await app.register(mcpOAuthRoutes, { deps });
  await app.register(adminConsole, { ...(options.console ?? consoleOptionsFromEnv(process.env)), oidc: signIn });
  return app;
}
