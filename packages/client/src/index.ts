import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
  type TRPCClient,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { EventSource } from 'eventsource';
// With its extension: the built index.d.ts keeps this specifier, and consumers resolve it as ESM.
import type { AppRouter } from './router.js';

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type StrongroomClient = TRPCClient<AppRouter>;

export interface StrongroomClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:8080` (the tRPC path `/trpc` is added). */
  url: string;
  /** A user or worker bearer token; a function is called per request (e.g. to read storage). */
  token: string | (() => string | undefined);
  fetch?: typeof globalThis.fetch;
}

/** The server refuses batches above this size; the link splits larger ones. */
const MAX_BATCH_ITEMS = 50;

/** Queries whose input can be too long for a URL (1,000 ids, a run's held values): sent as POST, which the server allows. */
const POST_QUERIES: ReadonlySet<string> = new Set(['internal.secretVersions', 'internal.runCredentials']);

/**
 * A typed client of the Strongroom API: queries and mutations over batched HTTP, subscriptions
 * over SSE (with the bearer header, which the browser's EventSource cannot send).
 * @example const sr = createStrongroomClient({ url: 'http://127.0.0.1:8080', token }); await sr.me.query();
 */
export function createStrongroomClient(options: StrongroomClientOptions): StrongroomClient {
  if (!/^https?:\/\//.test(options.url)) throw new TypeError('Expected `url` to be an http(s) origin');
  const endpoint = `${options.url.replace(/\/+$/, '')}/trpc`;
  const doFetch = options.fetch ?? globalThis.fetch;
  const authorization = (): Record<string, string> => {
    const token = typeof options.token === 'function' ? options.token() : options.token;
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  const http = { url: endpoint, fetch: doFetch, headers: authorization, maxItems: MAX_BATCH_ITEMS };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: endpoint,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              doFetch(input, {
                ...init,
                headers: { ...(init?.headers as Record<string, string>), ...authorization() },
              }),
          }),
        }),
        false: splitLink({
          condition: (op) => POST_QUERIES.has(op.path),
          true: httpBatchLink({ ...http, methodOverride: 'POST' }),
          false: httpBatchLink(http),
        }),
      }),
    ],
  });
}

/** The tRPC error codes the API answers with. */
export type StrongroomErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'PRECONDITION_FAILED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR'
  | 'PAYLOAD_TOO_LARGE';

/**
 * Whether `err` is an API error, optionally of one code.
 * @example if (isStrongroomError(err, 'CONFLICT')) showConflict(err.message);
 */
export function isStrongroomError(err: unknown, code?: StrongroomErrorCode): err is TRPCClientError<AppRouter> {
  if (!(err instanceof TRPCClientError)) return false;
  return code === undefined || (err as TRPCClientError<AppRouter>).data?.code === code;
}
