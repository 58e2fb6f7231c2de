import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { type Allowlist, checkDestination } from './address-guard';

export interface PinnedFetchOptions {
  allow: Allowlist;
  /** Connection and first-byte timeout per request, in ms. */
  timeoutMs: number;
}

/**
 * A `fetch` for server-side calls to user-supplied URLs: each request's host is resolved and
 * checked (see address-guard), and the socket connects to exactly the checked address (TLS still
 * verifies the host name). Redirects are not followed. Plain node:http underneath, since the
 * global fetch cannot pin an address.
 */
export function createPinnedFetch(options: PinnedFetchOptions): typeof globalThis.fetch {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const { address, family } = await checkDestination(url, options.allow);
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init.headers).forEach((value, key) => headers.set(key, value));
    const body =
      init.body === undefined || init.body === null
        ? undefined
        : Buffer.from(await new Response(init.body).arrayBuffer());
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(
        url,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(headers),
          lookup: (_host, _opts, callback) => callback(null, address, family),
          timeout: options.timeoutMs,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders.set(key, Array.isArray(value) ? value.join(', ') : value);
          }
          const stream =
            res.statusCode === 204 || res.statusCode === 304 ? null : (Readable.toWeb(res) as ReadableStream);
          resolve(new Response(stream, { status: res.statusCode ?? 502, headers: responseHeaders }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  };
}
