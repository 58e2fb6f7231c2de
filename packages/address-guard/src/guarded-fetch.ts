import type { LookupFunction } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { Allowlist } from './allowlist';
import { checkDestination, type Resolve, type ResolvedAddress } from './destination';

export interface GuardedFetchOptions {
  allow: Allowlist;
  /** Time allowed to connect and receive the response headers, per request, in ms (default: none). */
  timeoutMs?: number;
  /** How host names are resolved (default: the OS resolver). */
  resolve?: Resolve;
}

/**
 * A `lookup` for node:net that answers only with addresses already checked, never asking DNS
 * again. Node asks for all of them (`all: true`) when it races IPv6 against IPv4
 * (`autoSelectFamily`, on by default), else for one, possibly of a given family.
 * @example http.request(url, { lookup: pinnedLookup(checked.addresses) })
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    const matching = family ? addresses.filter((a) => a.family === family) : [...addresses];
    if (matching.length === 0) {
      const err = Object.assign(new Error(`${hostname} has no checked IPv${family} address`), { code: 'ENOTFOUND' });
      return callback(err, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, matching);
    callback(null, matching[0]!.address, matching[0]!.family);
  };
}

/**
 * A `fetch` for server-side requests to URLs that users supply: each request's host is resolved
 * and checked by the guard (see checkDestination), and the socket connects only to the checked
 * addresses — TLS still verifies the host name. Redirects are returned, never followed (a
 * redirect could lead anywhere). Built on node:http because the global fetch cannot pin an address.
 * @example const fetch = createGuardedFetch({ allow: parseAllowlist(process.env.MCP_ALLOWED_HOSTS ?? '') });
 */
export function createGuardedFetch(options: GuardedFetchOptions): typeof globalThis.fetch {
  const { allow, timeoutMs, resolve } = options;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new TypeError('Expected `timeoutMs` to be a positive number');
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const checked = await checkDestination(url, allow, resolve ? { resolve } : {});
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((fulfil, reject) => {
      const req = send(
        url,
        {
          method: request.method,
          headers: Object.fromEntries(request.headers),
          lookup: pinnedLookup(checked.addresses),
          signal: request.signal,
        },
        (res) => {
          clearTimeout(timer);
          const headers = new Headers();
          for (const [key, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
          }
          const status = res.statusCode ?? 502;
          const stream = status === 204 || status === 304 || request.method === 'HEAD' ? null : Readable.toWeb(res);
          if (!stream) res.resume();
          fulfil(new Response(stream as ReadableStream | null, { status, headers }));
        },
      );
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () =>
                req.destroy(Object.assign(new Error(`request timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
              timeoutMs,
            );
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  };
}
