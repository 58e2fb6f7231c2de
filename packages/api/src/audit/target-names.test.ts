import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/harness';

let app: TestApp;
let admin: ReturnType<TestApp['caller']>;
beforeAll(async () => {
  app = await createTestApp();
  admin = app.caller(app.orgA.adminToken);
});
afterAll(() => app.close());

describe('audit.list', () => {
  it('names each target as it is called now, or as it was called when deleted', async () => {
    const secret = await admin.secrets.create({
      name: 'named-key',
      value: 'named-value',
      scope: 'agent',
      namespace: 'ops',
    });
    const group = await admin.groups.create({ name: 'first name' });
    await admin.groups.rename({ id: group.id, name: 'second name' });
    const gone = await admin.secrets.create({ name: 'gone-key', value: 'gone-value', scope: 'agent' });
    await admin.secrets.delete({ id: gone.id });
    const added = await admin.members.add({ email: 'named@acme.test', role: 'member' });

    const items = (await admin.audit.list({ limit: 200 })).items;
    const nameOf = (action: string, targetId: string) =>
      items.find((e) => e.action === action && e.targetId === targetId)?.targetName;
    expect(nameOf('secret.create', secret.id)).toBe('ops/named-key');
    expect(nameOf('group.create', group.id)).toBe('second name');
    expect(nameOf('secret.delete', gone.id)).toBe('gone-key');
    expect(nameOf('member.add', added.userId)).toBe('named@acme.test');
    expect(JSON.stringify(items)).not.toContain('named-value');
  });

  it('leaves out what the agents runtime did when asked to, and only then', async () => {
    const key = await admin.secrets.create({ name: 'runtime-key', value: 'runtime-value', scope: 'agent' });
    const provider = await admin.providers.create({
      name: 'p',
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: key.id,
      config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'gw' },
    });
    const agent = await admin.agents.create({ name: 'a', providerId: provider.id, modelId: 'gpt-4o-mini' });
    await app
      .caller(app.orgA.workerToken)
      .internal.resolveSecret({ orgId: app.orgA.orgId, secretId: key.id, agentId: agent.id });

    const all = (await admin.audit.list({ targetId: key.id })).items.map((e) => e.action);
    expect(all).toContain('secret.access');
    const people = (await admin.audit.list({ targetId: key.id, includeRuntime: false })).items;
    expect(people.map((e) => e.action)).toEqual(['secret.create']);
    expect(people.every((e) => e.actorType !== 'worker')).toBe(true);
  });
});
