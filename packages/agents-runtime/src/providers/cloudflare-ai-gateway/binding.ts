import { AgentsRuntimeError } from '../../errors';

/** Cloudflare's AI Gateway; tests and self-hosted setups point elsewhere. */
export const DEFAULT_GATEWAY_BASE_URL = 'https://gateway.ai.cloudflare.com';

export interface GatewayTarget {
  baseUrl: string;
  accountId: string;
  gateway: string;
  /** The global AI Gateway token: sent only as `cf-aig-authorization`. */
  token: string;
  fetch?: typeof globalThis.fetch;
}

/**
 * A `binding` for `createAiGateway` that sends exactly what its REST path sends — `POST
 * {baseUrl}/v1/{accountId}/{gateway}` with `cf-aig-authorization: Bearer <gateway token>` and the
 * JSON array of provider requests — but to a configurable base URL and without touching the
 * host's global fetch (the REST path hard-codes both).
 */
export function gatewayBinding(target: GatewayTarget) {
  const base = target.baseUrl.replace(/\/+$/, '');
  const url = `${base}/v1/${encodeURIComponent(target.accountId)}/${encodeURIComponent(target.gateway)}`;
  const doFetch = target.fetch ?? globalThis.fetch;
  return {
    async run(body: unknown, options: { signal?: AbortSignal } = {}): Promise<Response> {
      try {
        return await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-aig-authorization': `Bearer ${target.token}` },
          body: JSON.stringify(body),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        throw new AgentsRuntimeError(
          'GATEWAY_UNREACHABLE',
          `The AI Gateway at ${new URL(base).host} could not be reached`,
          {},
          { cause: err },
        );
      }
    },
  };
}
