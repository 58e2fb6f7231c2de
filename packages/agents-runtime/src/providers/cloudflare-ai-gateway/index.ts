import { createAiGateway } from 'ai-gateway-provider';
import { createUnified } from 'ai-gateway-provider/providers/unified';
import { AgentsRuntimeError } from '../../errors';
import type { ModelFactory } from '../../model';
import { gatewayBinding } from './binding';

const GATEWAY_TOKEN = 'ai-gateway-token';

/**
 * Cloudflare AI Gateway in BYOK pass-through: `kind/modelId` on the unified API, the provider key
 * per request (`createUnified({ apiKey })`), the platform's gateway token as
 * `cf-aig-authorization`. A new model instance per run: a wrapped instance must not be shared by
 * concurrent calls.
 */
export const createCloudflareModel: ModelFactory<'cloudflare-ai-gateway'> = ({ config, credentials, settings }) => {
  const { accountId, gateway } = config.provider.config;
  const token = credentials.infra[GATEWAY_TOKEN];
  if (!accountId || !gateway)
    throw new AgentsRuntimeError(
      'PROVIDER_NOT_CONFIGURED',
      `Provider "${config.provider.name}" needs configuration before agents can use it`,
    );
  if (!token) throw new AgentsRuntimeError('GATEWAY_TOKEN_MISSING', 'No AI Gateway token is configured');
  return createAiGateway({
    binding: gatewayBinding({
      baseUrl: settings.gatewayBaseUrl,
      accountId,
      gateway,
      token,
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    }),
  })(createUnified({ apiKey: credentials.providerKey })(config.model));
};
