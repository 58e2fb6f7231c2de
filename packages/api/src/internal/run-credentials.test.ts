import { AppError } from '../core/errors';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setInfraSecret } from '../infra-secrets/service';
import { expectTRPCError } from '../../test/support/expect-error';
import { createTestApp, type TestApp } from '../../test/support/harness';

/** `internal.runCredentials`: everything a run needs, in one authorised, audited call. */
let app: TestApp;
let admin: ReturnType<TestApp['caller']>;
let worker: ReturnType<TestApp['caller']>;
let agentId: string;
let providerId: string;
let keyId: string;
let mcpSecretId: string;
let mcpServerId: string;
let openServerId: string;
const KEY = `sk-run-${crypto.randomUUID()}`;
const MCP_TOKEN = `mcp-run-${crypto.randomUUID()}`;
const GATEWAY_TOKEN = `gw-run-${crypto.randomUUID()}`;

beforeAll(async () => {
  app = await createTestApp();
  admin = app.caller(app.orgA.adminToken);
  worker = app.caller(app.orgA.workerToken);
  await setInfraSecret(app.deps, 'ai-gateway-token', GATEWAY_TOKEN);
  keyId = (await admin.secrets.create({ name: 'run-key', value: KEY, scope: 'agent' })).id;
  // An org-scope token: as an MCP server's credential it goes with the server, not by grants.
  mcpSecretId = (await admin.secrets.create({ name: 'run-mcp', value: MCP_TOKEN, scope: 'org' })).id;
  mcpServerId = (
    await admin.mcpServers.create({ name: 'tools', url: 'https://tools.example.test/mcp', secretRef: mcpSecretId })
  ).id;
  openServerId = (await admin.mcpServers.create({ name: 'open tools', url: 'https://open.example.test/mcp' })).id;
  providerId = (
    await admin.providers.create({
      name: 'run provider',
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: keyId,
      config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'run-gateway' },
    })
  ).id;
  agentId = (
    await admin.agents.create({
      name: 'runner',
      providerId,
      modelId: 'gpt-4o-mini',
      mcpServerIds: [mcpServerId, openServerId],
    })
  ).id;
});
afterAll(() => app.close());

const accessRows = () =>
  app.deps.db
    .selectFrom('audit_log')
    .select(['action', 'target_type', 'target_id', 'metadata'])
    .where('org_id', '=', app.orgA.orgId)
    .where('action', 'in', ['secret.access', 'secret.access_denied'])
    .orderBy('seq')
    .execute();

describe('internal.runCredentials', () => {
  it('returns the config and every credential of the run, each audited before it leaves, as the per-value calls audit', async () => {
    const before = (await accessRows()).length;
    const run = await worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId, runId: 'run-1' });
    expect(run.config).toMatchObject({
      model: 'openai/gpt-4o-mini',
      provider: { id: providerId, providerType: 'cloudflare-ai-gateway', config: { gateway: 'run-gateway' } },
    });
    expect(run.credentials).toEqual({
      provider: { id: keyId, version: 1, value: KEY, expiresAt: null },
      infra: {
        'ai-gateway-token': { id: 'infra:ai-gateway-token', version: 1, value: GATEWAY_TOKEN, expiresAt: null },
      },
      // The server without auth has no credential at all.
      mcpServers: { [mcpServerId]: { id: mcpSecretId, version: 1, value: MCP_TOKEN, expiresAt: null } },
    });
    const rows = (await accessRows()).slice(before);
    expect(rows.map((r) => `${r.action} ${r.target_type} ${r.target_id}`).sort()).toEqual(
      [
        `secret.access infra_secret ai-gateway-token`,
        `secret.access mcpServer ${mcpServerId}`,
        `secret.access secret ${keyId}`,
      ].sort(),
    );
    const keyRow = rows.find((r) => r.target_id === keyId)!;
    expect(keyRow.metadata).toMatchObject({ agentId, chatId: null, runId: 'run-1', version: 1 });
    expect(JSON.stringify(rows)).not.toMatch(new RegExp(`${KEY}|${MCP_TOKEN}|${GATEWAY_TOKEN}`));
  });

  it('values the caller holds at the current version are authorised again but not sent; a rotated one is', async () => {
    const first = await worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId });
    const held = [
      first.credentials.provider,
      ...Object.values(first.credentials.infra),
      ...Object.values(first.credentials.mcpServers),
    ].map((c) => ({ id: c.id, version: c.version }));
    const before = (await accessRows()).length;
    const again = await worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId, held });
    expect(again.credentials.provider).toEqual({ id: keyId, version: 1, value: null, expiresAt: null });
    expect(again.credentials.infra['ai-gateway-token']!.value).toBeNull();
    expect(again.credentials.mcpServers[mcpServerId]!.value).toBeNull();
    expect(await accessRows()).toHaveLength(before);

    await admin.secrets.update({ id: mcpSecretId, value: `${MCP_TOKEN}-v2` });
    const rotated = await worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId, held });
    expect(rotated.credentials.mcpServers[mcpServerId]).toEqual({
      id: mcpSecretId,
      version: 2,
      value: `${MCP_TOKEN}-v2`,
      expiresAt: null,
    });
    expect(rotated.credentials.provider.value).toBeNull();
    const rows = (await accessRows()).slice(before);
    expect(rows.map((r) => r.target_id)).toEqual([mcpServerId]);
    await admin.secrets.update({ id: mcpSecretId, value: MCP_TOKEN });
  });

  it('a runtime with its own gateway token is not sent the infra secret', async () => {
    const before = (await accessRows()).length;
    const run = await worker.internal.runCredentials({
      orgId: app.orgA.orgId,
      agentId,
      ownInfraSecrets: ['ai-gateway-token'],
    });
    expect(run.credentials.infra).toEqual({});
    expect((await accessRows()).slice(before).some((r) => r.target_type === 'infra_secret')).toBe(false);
  });

  it('for a chat: the same decisions as resolveSecret for that chat; a chat of another org is not found, and nothing is sent', async () => {
    const chat = await admin.groups.create({ name: 'no grants here' });
    const run = await worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId, chatId: chat.id });
    for (const c of [run.credentials.provider, run.credentials.mcpServers[mcpServerId]!]) {
      const one = await worker.internal.resolveSecret({
        orgId: app.orgA.orgId,
        secretId: c.id,
        agentId,
        chatId: chat.id,
      });
      expect(one.value).toBe(c.value);
    }
    // An org-scope secret that is no credential of the run needs a grant; without one the chat is refused it.
    const { id } = await admin.secrets.create({ name: 'needs-a-grant', value: 'granted-only', scope: 'org' });
    await expectTRPCError(
      worker.internal.resolveSecret({ orgId: app.orgA.orgId, secretId: id, agentId, chatId: chat.id }),
      'FORBIDDEN',
    );
    expect(JSON.stringify(run)).not.toContain('granted-only');

    const theirChat = await app.caller(app.orgB.adminToken).groups.create({ name: 'theirs' });
    const before = (await accessRows()).length;
    await expectTRPCError(
      worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId, chatId: theirChat.id }),
      'NOT_FOUND',
    );
    await expectTRPCError(
      app.caller(app.orgB.workerToken).internal.runCredentials({ orgId: app.orgA.orgId, agentId }),
      'NOT_FOUND',
    );
    expect(await accessRows()).toHaveLength(before);
  });

  it('fails closed: an unconfigured provider, a missing infra secret or a failed audit write sends nothing', async () => {
    const before = (await accessRows()).length;
    await app.deps.db
      .updateTable('providers')
      .set({ needs_configuration: true })
      .where('id', '=', providerId)
      .execute();
    try {
      const err = await expectTRPCError(
        worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId }),
        'PRECONDITION_FAILED',
      );
      expect(err.cause).toMatchObject({ reason: 'PROVIDER_NOT_CONFIGURED' });
    } finally {
      await app.deps.db
        .updateTable('providers')
        .set({ needs_configuration: false })
        .where('id', '=', providerId)
        .execute();
    }
    expect(await accessRows()).toHaveLength(before);

    const auditDown = vi
      .spyOn(app.deps.accessLog, 'record')
      .mockRejectedValue(new AppError('SERVICE_UNAVAILABLE', 'audit log unavailable'));
    try {
      const err = await expectTRPCError(
        worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId }),
        'SERVICE_UNAVAILABLE',
      );
      expect(JSON.stringify({ message: err.message, cause: String(err.cause) })).not.toMatch(
        new RegExp(`${KEY}|${MCP_TOKEN}|${GATEWAY_TOKEN}`),
      );
    } finally {
      auditDown.mockRestore();
    }

    await app.deps.db.deleteFrom('infra_secrets').where('name', '=', 'ai-gateway-token').execute();
    try {
      const err = await expectTRPCError(
        worker.internal.runCredentials({ orgId: app.orgA.orgId, agentId }),
        'NOT_FOUND',
      );
      expect(err.cause).toMatchObject({ reason: 'INFRA_SECRET_MISSING' });
    } finally {
      await setInfraSecret(app.deps, 'ai-gateway-token', GATEWAY_TOKEN);
    }
    expect(await accessRows()).toHaveLength(before);
  });
});
