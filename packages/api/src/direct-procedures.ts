import { type AnyTRPCMiddlewareFunction, getTRPCErrorFromUnknown, getTRPCErrorShape, TRPCError } from '@trpc/server';
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

type MiddlewareResult = Awaited<ReturnType<AnyTRPCMiddlewareFunction>>;
/** What a middleware gets, but `next`. */
interface CallOptions {
  ctx: object;
  type: 'query' | 'mutation';
  path: string;
  input: unknown;
  getRawInput: () => Promise<unknown>;
  meta: unknown;
  signal: undefined;
  batchIndex: number;
}
type NextOptions = { ctx?: object; input?: unknown; getRawInput?: CallOptions['getRawInput'] } | undefined;

/**
 * Runs a procedure's middleware chain (its auth, input and output parsers, resolver) as tRPC's
 * own caller does, with the same options and results, but copying the options with native object
 * spreads: tRPC's build copies them with a transpiled helper that defines each property one by one,
 * twice per middleware, which took 5 % (secrets.get) to 16 % (internal.resolveSecret) of the
 * server's CPU per call.
 */
async function runMiddlewares(
  middlewares: AnyTRPCMiddlewareFunction[],
  index: number,
  opts: CallOptions,
): Promise<MiddlewareResult> {
  try {
    return await middlewares[index]!({
      ...opts,
      next: (next?: NextOptions) =>
        runMiddlewares(middlewares, index + 1, {
          ...opts,
          ctx: next?.ctx ? { ...opts.ctx, ...next.ctx } : opts.ctx,
          input: next && 'input' in next ? next.input : opts.input,
          getRawInput: next?.getRawInput ?? opts.getRawInput,
        }),
    });
  } catch (cause) {
    return { ok: false, error: getTRPCErrorFromUnknown(cause), marker: 'middlewareMarker' } as MiddlewareResult;
  }
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
    const procedure = appRouter._def.procedures[path as keyof typeof appRouter._def.procedures] as unknown as
      | { _def: { type: string; meta: unknown; middlewares: AnyTRPCMiddlewareFunction[] } }
      | undefined;
    if (procedure?._def.type !== type) throw new Error(`No ${type} procedure at ${path}`);
    const { middlewares, meta } = procedure._def;
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
          const result = await runMiddlewares(middlewares, 0, {
            ctx,
            type,
            path,
            input: undefined,
            getRawInput: async () => input,
            meta,
            signal: undefined,
            batchIndex: 0,
          });
          if (!result.ok) throw result.error;
          body = { result: { data: result.data } };
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
