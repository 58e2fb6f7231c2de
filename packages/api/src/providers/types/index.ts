import { AppError } from '../../core/errors';
import { cloudflareAiGateway } from './cloudflare-ai-gateway';

/**
 * Every provider type, by the `providerType` stored and returned: a type is a folder entry with
 * its config schema (`config` as an admin sets it, `stored` as read back) and the infra secrets a
 * run on it needs. The agents runtime keeps the matching model factories in the same shape.
 */
export const PROVIDER_TYPES = {
  'cloudflare-ai-gateway': cloudflareAiGateway,
} as const;

export type ProviderTypeName = keyof typeof PROVIDER_TYPES;
export type ProviderTypeDef = (typeof PROVIDER_TYPES)[ProviderTypeName];

export const PROVIDER_TYPE_NAMES = Object.keys(PROVIDER_TYPES) as [ProviderTypeName, ...ProviderTypeName[]];

/**
 * The definition of a stored `provider_type`. The database checks only its shape, so a row written
 * by a newer server (a type this one lacks) is refused by name rather than misread.
 */
export function providerTypeOf(type: string): ProviderTypeDef {
  if (Object.hasOwn(PROVIDER_TYPES, type)) return PROVIDER_TYPES[type as ProviderTypeName];
  throw new AppError('PRECONDITION_FAILED', `Provider type "${type}" is not supported by this server`, {
    reason: 'PROVIDER_TYPE_UNSUPPORTED',
  });
}
