import { type LanguageModel, wrapLanguageModel } from 'ai';
import { createCloudflareModel } from './providers/cloudflare-ai-gateway';
import type { ResolvedRun, RuntimeConfig } from './resolver';
import type { Scrubber } from './scrub';

type Provider = RuntimeConfig['provider'];
export type ProviderType = Provider['providerType'];

/** What a model factory gets: the run's config narrowed to its provider type, and the run's credentials. */
export interface ModelRequest<T extends ProviderType> {
  config: RuntimeConfig & { provider: Extract<Provider, { providerType: T }> };
  credentials: Pick<ResolvedRun, 'providerKey' | 'infra'>;
  settings: { gatewayBaseUrl: string; fetch?: typeof globalThis.fetch | undefined };
}

export type ModelFactory<T extends ProviderType> = (request: ModelRequest<T>) => Exclude<LanguageModel, string>;

/**
 * The model factory of each provider type, keyed like Strongroom's registry of types (the types
 * come from its API, so a type without a factory here does not compile). A new type is a folder
 * under `providers/` and a line here.
 */
const MODEL_FACTORIES: { [T in ProviderType]: ModelFactory<T> } = {
  'cloudflare-ai-gateway': createCloudflareModel,
};

/**
 * The run's model, built by its provider type's factory and wrapped so that every prompt of every
 * step is scrubbed: it carries the model's own earlier tool-call arguments back to it, besides the
 * messages and tool results.
 */
export function createModel<T extends ProviderType>(request: ModelRequest<T>, scrub: Scrubber) {
  const factory = MODEL_FACTORIES[request.config.provider.providerType];
  return wrapLanguageModel({
    model: factory(request),
    middleware: { transformParams: async ({ params }) => ({ ...params, prompt: scrub.deep(params.prompt) }) },
  });
}
