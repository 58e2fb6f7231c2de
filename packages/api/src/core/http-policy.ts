import type { TRPCError } from '@trpc/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors';

/** Every request body this server accepts is JSON (tRPC posts); nothing else is ever read. */
const ACCEPTED_BODY = /^application\/json\s*(;|$)/i;
/** What helmet would send, but only where it means something: on a response that came over TLS. */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Request-level rules that run before any body is read or any route runs:
 * - a request that carries (or declares) a body of any type but JSON gets 415 and its connection
 *   is closed, so nothing reads it: the tRPC adapter would otherwise buffer a multipart body
 *   whole, past `bodyLimit`; JSON bodies stay bounded by `bodyLimit`;
 * - HSTS only on responses to https requests (TLS here, or `x-forwarded-proto` from a trusted
 *   proxy): over plain HTTP the header is meaningless and browsers ignore it.
 * @example app.addHook('onRequest', httpPolicy);
 */
export async function httpPolicy(req: FastifyRequest, reply: FastifyReply) {
  if (req.protocol === 'https') reply.header('strict-transport-security', HSTS);
  if (req.method === 'GET' || req.method === 'HEAD') return;
  const type = req.headers['content-type'];
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if ((!hasBody && type === undefined) || (type !== undefined && ACCEPTED_BODY.test(type))) return;
  return reply
    .code(415)
    .header('connection', 'close')
    .send({ message: 'Unsupported content type: request bodies must be application/json' });
}

/**
 * tRPC `responseMeta`: a `Retry-After` header when a call was rate limited, taken from the
 * `retryAfterSeconds` its AppError carries (the longest, for a batch).
 * @example trpcOptions: { responseMeta: ({ errors }) => retryAfterMeta(errors) }
 */
export function retryAfterMeta(errors: readonly TRPCError[]): { headers?: Record<string, string> } {
  let seconds = 0;
  for (const error of errors) {
    const value = error.cause instanceof AppError ? error.cause.details?.retryAfterSeconds : undefined;
    if (typeof value === 'number' && value > seconds) seconds = value;
  }
  return seconds ? { headers: { 'retry-after': String(Math.ceil(seconds)) } } : {};
}
