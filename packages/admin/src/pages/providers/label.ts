import type { RouterOutputs } from '@strongroom/client';

type Provider = Pick<RouterOutputs['providers']['list'][number], 'name' | 'kind' | 'config'>;

/**
 * A provider as pickers and lists name it: names are not unique, so the kind and the gateway
 * come with it ("openai · OpenAI (prod) · gw-eu") and two providers called alike differ on screen.
 */
export function providerLabel(provider: Provider): string {
  return [provider.kind, provider.name, provider.config.gateway].filter(Boolean).join(' · ');
}
