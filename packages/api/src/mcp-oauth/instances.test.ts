import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStrongroomClient } from '@strongroom/client';
import { openTestStorage, type TestStorage, testEngine } from '@strongroom/db/testing';
import { signInWithoutBrowser } from '@strongroom/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { followCallback, type OAuthFixture, startOAuthFixture } from '../../test/support/oauth';
import { type ServeProcess, spawnServe } from '../../test/support/processes';

/**
 * Refresh across instances: two `strongroom serve` processes on one Postgres, asked for the same
 * OAuth MCP server's token at once when it is near expiry, refresh it exactly once at the
 * authorization server (refresh tokens rotate: a second refresh would burn the first's token).
 */
let storage: TestStorage | undefined;
let processes: ServeProcess[] = [];
let fx: OAuthFixture | undefined;
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await fx?.close();
  await storage?.close();
});

describe('MCP OAuth across API instances (Postgres only: PGlite is one process by design)', () => {
  it.skipIf(testEngine() === 'pglite')(
    '20 resolutions over two instances cause one refresh; both hand out the new token',
    async () => {
      fx = await startOAuthFixture({ accessTokenTtlSeconds: 8 });
      storage = await openTestStorage({ migrated: false });
      const dataDir = mkdtempSync(join(tmpdir(), 'sr-oauth-inst-'));
      const kekFile = join(dataDir, 'kek.json');
      writeFileSync(kekFile, JSON.stringify({ primaryKeyId: 'k', keys: { k: randomBytes(32).toString('base64') } }), {
        mode: 0o600,
      });
      const env = {
        DATA_DIR: dataDir,
        KEK_FILE: kekFile,
        LOG_LEVEL: 'warn',
        DATABASE_URL: storage.url!,
        MCP_ALLOWED_HOSTS: '127.0.0.1',
        MCP_OAUTH_REFRESH_SKEW_MS: '4000',
      };
      processes = [await spawnServe(env)];
      processes.push(await spawnServe(env));
      const adminToken = processes[0]!.output().match(/^admin token: (\S+)$/m)![1]!;
      const workerToken = processes[0]!.output().match(/^worker token: (\S+)$/m)![1]!;
      const [a, b] = processes.map((p) => createStrongroomClient({ url: p.url, token: adminToken }));
      const { org } = await a!.me.query();
      const key = await a!.secrets.create.mutate({ name: 'provider-key', value: 'sk-instances', scope: 'agent' });
      const provider = await a!.providers.create.mutate({
        name: 'p',
        providerType: 'cloudflare-ai-gateway',
        kind: 'openai',
        secretRef: key.id,
        config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'g' },
      });
      const server = await a!.mcpServers.create.mutate({ name: 'shared tools', url: fx.mcp.url, oauth: {} });
      const agent = await b!.agents.create.mutate({
        name: 'agent',
        providerId: provider.id,
        modelId: 'gpt-4o-mini',
        mcpServerIds: [server.id],
      });
      const { authorizationUrl } = await a!.mcpServers.connect.mutate({ id: server.id });
      expect((await followCallback(await signInWithoutBrowser(authorizationUrl!))).searchParams.get('oauth')).toBe(
        'connected',
      );
      const workers = processes.map((p) => createStrongroomClient({ url: p.url, token: workerToken }));
      const resolve = (i: number) =>
        workers[i % 2]!.internal.resolveMcpToken.query({ orgId: org.id, agentId: agent.id, mcpServerId: server.id });
      const first = await resolve(1);
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(first.expiresAt!) - 4_000 - Date.now() + 200)));
      const before = fx.as.grants.refresh_token ?? 0;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => resolve(i)));
      expect((fx.as.grants.refresh_token ?? 0) - before).toBe(1);
      expect(fx.as.refusedGrants.refresh_token ?? 0).toBe(0);
      expect(new Set(results.map((r) => r.value))).toEqual(new Set([results[0]!.value]));
      expect(results[0]!.value).not.toBe(first.value);
      // Both instances see the same connection afterwards.
      const [viaA, viaB] = await Promise.all([
        a!.mcpServers.get.query({ id: server.id }),
        b!.mcpServers.get.query({ id: server.id }),
      ]);
      expect(viaA.oauth).toEqual(viaB.oauth);
      expect(viaA.oauth?.expiresAt).toBe(results[0]!.expiresAt);
    },
  );
});
