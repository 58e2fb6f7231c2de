import type { RouterInputs } from '@strongroom/client';

export type ProviderKind = RouterInputs['providers']['create']['kind'];

/** The provider kinds the API accepts, typed against it so none is missing or made up. */
const KINDS: Record<ProviderKind, true> = {
  openai: true,
  anthropic: true,
  'google-ai-studio': true,
  'google-vertex-ai': true,
  'workers-ai': true,
  mistral: true,
  groq: true,
  deepseek: true,
  xai: true,
  'perplexity-ai': true,
  cohere: true,
  cerebras: true,
  openrouter: true,
  'azure-openai': true,
  'aws-bedrock': true,
};

export const PROVIDER_KINDS = Object.keys(KINDS) as ProviderKind[];
