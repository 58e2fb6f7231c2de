import { z } from 'zod';
import { displayName, id, timestamp } from '../core/schemas';
import { PROVIDER_TYPE_NAMES, PROVIDER_TYPES, type ProviderTypeName } from './types';

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

/**
 * `providerType` is the discriminator (stored, returned, and checked): each type in the registry
 * (`./types`) brings its own `config`, and callers of the others do not change.
 */
export const providerType = z.enum(PROVIDER_TYPE_NAMES);

/** One member per type, so `config` is checked against the schema of the `providerType` given. */
function unionOf<M extends z.ZodObject>(member: (type: ProviderTypeName) => z.ZodObject) {
  return z.discriminatedUnion('providerType', PROVIDER_TYPE_NAMES.map(member) as unknown as [M, ...M[]]);
}

/** The config of any type, checked field by field; which type's it must be depends on `providerType`. */
const anyConfig = z.union(
  PROVIDER_TYPE_NAMES.map((t) => PROVIDER_TYPES[t].config) as unknown as [
    ProviderConfigSchema,
    ...ProviderConfigSchema[],
  ],
);
type ProviderConfigSchema = (typeof PROVIDER_TYPES)[ProviderTypeName]['config'];

/** An object, not a union of per-type objects, so that it can be listed in the OpenAPI document. */
export const createProviderInput = z
  .strictObject({ providerType, name: displayName(100), kind, secretRef: id, config: anyConfig })
  .superRefine((input, ctx) => {
    const parsed = PROVIDER_TYPES[input.providerType].config.safeParse(input.config);
    for (const issue of parsed.error?.issues ?? []) ctx.addIssue({ ...issue, path: ['config', ...issue.path] });
  });

export const updateProviderInput = z.strictObject({
  id,
  name: displayName(100).optional(),
  kind: kind.optional(),
  secretRef: id.optional(),
  config: anyConfig.optional(),
});

const outputMember = <T extends ProviderTypeName>(type: T) =>
  z.strictObject({
    id,
    orgId: id,
    name: z.string(),
    providerType: z.literal(type),
    kind: z.string(),
    secretRef: id.nullable(),
    config: z.strictObject(PROVIDER_TYPES[type].stored.shape),
    /** Migrated from the legacy platform without its config: agents cannot run on it yet. */
    needsConfiguration: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  });
export const provider =
  unionOf<{ [T in ProviderTypeName]: ReturnType<typeof outputMember<T>> }[ProviderTypeName]>(outputMember);

export type Provider = z.infer<typeof provider>;

const runtimeMember = <T extends ProviderTypeName>(type: T) =>
  z.strictObject({
    id,
    name: z.string(),
    providerType: z.literal(type),
    kind: z.string(),
    config: z.strictObject(PROVIDER_TYPES[type].stored.shape),
    secretRef: id.nullable(),
    secretVersion: z.number().int().nullable(),
    needsConfiguration: z.boolean(),
  });
/** A provider as the agents runtime sees it: its key by reference and version, never a value. */
export const runtimeProvider =
  unionOf<{ [T in ProviderTypeName]: ReturnType<typeof runtimeMember<T>> }[ProviderTypeName]>(runtimeMember);
