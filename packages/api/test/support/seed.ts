import { randomBytes } from 'node:crypto';
import type { StrongroomClient } from '@strongroom/client';

export interface SeededAgent {
  orgId: string;
  agentId: string;
  providerId: string;
  providerKeyId: string;
  /** An agent-scope secret the agent may resolve. */
  secretId: string;
}

/**
 * Through the API, as an admin would: a provider key, a provider (Cloudflare AI Gateway, openai),
 * an agent-scope secret, and an agent on that provider with the given MCP servers.
 * @example const { orgId, agentId, secretId } = await seedAgent(adminClient);
 */
export async function seedAgent(
  admin: StrongroomClient,
  options: { providerKey?: string; mcpServerIds?: string[]; instructions?: string } = {},
): Promise<SeededAgent> {
  const suffix = randomBytes(3).toString('hex');
  const { org } = await admin.me.query();
  const secret = await admin.secrets.create.mutate({
    name: `tool-key-${suffix}`,
    value: randomBytes(48).toString('base64'),
    scope: 'agent',
  });
  const key = await admin.secrets.create.mutate({
    name: `provider-key-${suffix}`,
    value: options.providerKey ?? `sk-${randomBytes(24).toString('hex')}`,
    scope: 'agent',
  });
  const provider = await admin.providers.create.mutate({
    name: `OpenAI ${suffix}`,
    providerType: 'cloudflare-ai-gateway',
    kind: 'openai',
    secretRef: key.id,
    config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'agents' },
  });
  const agent = await admin.agents.create.mutate({
    name: `agent ${suffix}`,
    providerId: provider.id,
    modelId: 'gpt-4o-mini',
    ...(options.instructions ? { instructions: options.instructions } : {}),
    mcpServerIds: options.mcpServerIds ?? [],
  });
  return { orgId: org.id, agentId: agent.id, providerId: provider.id, providerKeyId: key.id, secretId: secret.id };
}
