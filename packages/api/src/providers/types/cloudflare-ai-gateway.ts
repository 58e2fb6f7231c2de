import { z } from 'zod';
import { text } from '../../core/schemas';

/**
 * Cloudflare AI Gateway in BYOK pass-through: the model is `kind/modelId` on the gateway's
 * unified API, the provider key travels per request, and the platform's gateway token
 * authenticates to the gateway.
 */
export const cloudflareAiGateway = {
  /** What an admin sets: the account (32 hex digits) and the gateway's name. */
  config: z.strictObject({
    accountId: text({ max: 32 }).regex(/^[0-9a-f]{32}$/i, {
      error: 'must be a Cloudflare account id (32 hexadecimal digits)',
    }),
    gateway: text({ max: 64 }).regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, {
      error: 'must be a gateway name: letters, digits, "-" and "_", at most 64',
    }),
  }),
  /** As stored and returned: a provider migrated from the legacy platform has neither yet. */
  stored: z.object({ accountId: z.string().optional(), gateway: z.string().optional() }),
  /** Platform-level secrets a run on this type needs besides the provider key. */
  infraSecrets: ['ai-gateway-token'],
} as const;
