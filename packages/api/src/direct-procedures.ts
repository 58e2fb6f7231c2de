import { callTRPCProcedure, getTRPCErrorFromUnknown, getTRPCErrorShape, TRPCError } from '@trpc/server';
import { type FastifyTRPCPluginOptions, fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode } from '@trpc/server/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AppRouter, appRouter } from './router';
import type { Context } from './core/context';

type TrpcOptions = FastifyTRPCPluginOptions<AppRouter>['trpcOptions'];

/** Registered with Fastify's `prefix` (the tRPC prefix): each procedure is served at `<prefix>/<path>`. */
export interface DirectProcedureOptions {
  /** Procedure paths served here, with their type (queries on GET, mutations on POST). */
  procedures: Record<string, 'query' | 'mutation'>;
  trpcOptions: TrpcOptions;
  context(req: FastifyRequest): Context;
  /** Headers for a failed call (what `responseMeta` gives tRPC's handler). */
  errorHeaders?(errors: TRPCError[]): Record<string, string> | undefined;
}

function parseInput(raw: string | undefined, batch: boolean): unknown {
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // No cause and no parser message: it would quote the body.
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'The input is not valid JSON' });
  }
  return batch ? (parsed as Record<string, unknown> | null)?.['0'] : parsed;
}

/**
 * Serves the hottest procedures on their tRPC paths without tRPC's fetch adapter (which builds a
 * web Request and Response per call): the same procedures, middleware, errorFormatter and
 * onError, and the same wire format, for plain JSON calls and batches of one. Anything else on
 * these paths (streaming accept headers, say) goes through tRPC's own Fastify handler.
 * @example await app.register(directProcedures, { prefix: '/trpc', procedures: { 'secrets.get': 'query' }, trpcOptions, context });
 */
export async function directProcedures(app: FastifyInstance, opts: DirectProcedureOptions) {
  // The same body handling as tRPC's plugin: JSON arrives as a string and is parsed per call.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const config = appRouter._def._config;

  for (const [path, type] of Object.entries(opts.procedures)) {
    app.route({
      method: type === 'query' ? 'GET' : 'POST',
      url: `/${path}`,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const query = req.query as Record<string, string | undefined>;
        const accept = req.headers['trpc-accept'] ?? req.headers.accept ?? '';
        if (accept.includes('application/jsonl')) {
          return fastifyRequestHandler({ ...opts.trpcOptions, req, res: reply, path });
        }
        const batch = query.batch === '1' || query.batch === 'true';
        const ctx = opts.context(req);
        let input: unknown;
        let body: unknown;
        try {
          input = parseInput(type === 'query' ? query.input : (req.body as string | undefined), batch);
          const data: unknown = await callTRPCProcedure({
            router: appRouter,
            path,
            type,
            ctx,
            getRawInput: async () => input,
            signal: undefined,
            batchIndex: 0,
          });
          body = { result: { data } };
        } catch (cause) {
          const error: TRPCError = getTRPCErrorFromUnknown(cause);
          opts.trpcOptions.onError?.({ error, path, input, ctx, type, req });
          body = { error: getTRPCErrorShape({ config, error, type, path, input, ctx }) };
          reply.headers(opts.errorHeaders?.([error]) ?? {});
        }
        const json = batch ? [body] : body;
        return reply
          .code(getHTTPStatusCode(json as Parameters<typeof getHTTPStatusCode>[0]))
          .header('vary', 'trpc-accept, accept')
          .type('application/json')
          .send(JSON.stringify(json));
      },
    });
  }
}
