import { z } from 'zod';
import { displayName, id, text, timestamp } from '../core/schemas';

/** Model vendors reachable through Cloudflare AI Gateway's unified API (`kind/model`). */
export const PROVIDER_KINDS = [
  'openai',
  'anthropic',
  'google-ai-studio',
  'google-vertex-ai',
  'workers-ai',
  'mistral',
  'groq',
  'deepseek',
  'xai',
  'perplexity-ai',
  'cohere',
  'cerebras',
  'openrouter',
  'azure-openai',
  'aws-bedrock',
] as const;

export const kind = z.enum(PROVIDER_KINDS);

/** Cloudflare's routing config: the account (32 hex digits) and the gateway's name. */
export const cloudflareConfig = z.strictObject({
  accountId: text({ max: 32 }).regex(/^[0-9a-f]{32}$/i, {
    error: 'must be a Cloudflare account id (32 hexadecimal digits)',
  }),
  gateway: text({ max: 64 }).regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, {
    error: 'must be a gateway name: letters, digits, "-" and "_", at most 64',
  }),
});

/**
 * `providerType` is the discriminator (stored, returned, and checked): a direct provider later
 * becomes a second type with its own `config`, and callers of this one do not change.
 */
export const providerType = z.enum(['cloudflare-ai-gateway']);

export const createProviderInput = z.strictObject({
  providerType,
  name: displayName(100),
  kind,
  secretRef: id,
  config: cloudflareConfig,
});

export const updateProviderInput = z.strictObject({
  id,
  name: displayName(100).optional(),
  kind: kind.optional(),
  secretRef: id.optional(),
  config: cloudflareConfig.optional(),
});

export const provider = z.strictObject({
  id,
  orgId: id,
  name: z.string(),
  providerType,
  kind: z.string(),
  secretRef: id.nullable(),
  config: z.strictObject({ accountId: z.string().optional(), gateway: z.string().optional() }),
  /** Migrated from the legacy platform without account or gateway: agents cannot run on it yet. */
  needsConfiguration: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export type Provider = z.infer<typeof provider>;
