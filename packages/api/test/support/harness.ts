import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLocalKeyring, type Keyring } from '@strongroom/crypto';
import { openTestStorage, type TestStorage } from '@strongroom/db/testing';
import { openDeps, prepareDatabase } from '../../src/app';
import { loadConfig } from '../../src/core/config';
import { createContextInner } from '../../src/core/context';
import type { AppDeps } from '../../src/app';
import { createLogger } from '../../src/core/logger';
import { createOrg } from '../../src/orgs/service';
import { createCaller } from '../../src/router';
import { buildServer } from '../../src/server';

export interface TestOrg {
  orgId: string;
  adminUserId: string;
  adminToken: string;
  workerToken: string;
  memberUserId: string;
  memberToken: string;
}

export interface TestApp {
  deps: AppDeps;
  storage: TestStorage;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  /** Org "acme" and org "globex", each with an admin, a member and a worker token. */
  orgA: TestOrg;
  orgB: TestOrg;
  /** A server-side caller that runs every middleware, as the holder of `token`. */
  caller(token?: string): ReturnType<typeof createCaller>;
  close(): Promise<void>;
}

/** A local keyring with a random KEK, as the embedded default has. */
export function testKeyring(): Keyring {
  return createLocalKeyring({ keys: { 'test-kek': randomBytes(32) }, primaryKeyId: 'test-kek' });
}

async function seedOrg(deps: AppDeps, name: string): Promise<TestOrg> {
  const org = await createOrg(deps, { name, adminEmail: `admin@${name}.test`, withWorkerToken: true });
  const admin = createCaller(createContextInner({ deps, token: org.adminToken }));
  const member = await admin.members.add({ email: `member@${name}.test`, role: 'member' });
  return {
    orgId: org.orgId,
    adminUserId: org.adminUserId,
    adminToken: org.adminToken,
    workerToken: org.workerToken!,
    memberUserId: member.userId,
    memberToken: member.token,
  };
}

/**
 * A migrated database of the engine under test, the real services and two seeded orgs.
 * @example const app = await createTestApp(); const admin = app.caller(app.orgA.adminToken);
 */
export async function createTestApp(
  options: { env?: Record<string, string>; keyring?: Keyring; storage?: TestStorage } = {},
): Promise<TestApp> {
  const storage = options.storage ?? (await openTestStorage());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'sr-test-')),
    LOG_LEVEL: 'debug',
    ...options.env,
  });
  const deps = await openDeps(config, createLogger('debug', sink), {
    storage,
    keyring: options.keyring ?? testKeyring(),
  });
  await prepareDatabase(deps);
  const orgA = await seedOrg(deps, 'acme');
  const orgB = await seedOrg(deps, 'globex');
  return {
    deps,
    storage,
    logs,
    orgA,
    orgB,
    caller: (token) => createCaller(createContextInner({ deps, token })),
    close: () => storage.close(),
  };
}

/**
 * An agent of the org on a new provider (with its key), through the API as an admin would.
 * @example const agentId = await createTestAgent(app, app.orgA);
 */
export async function createTestAgent(app: TestApp, org: TestOrg, mcpServerIds: string[] = []): Promise<string> {
  const admin = app.caller(org.adminToken);
  const suffix = crypto.randomUUID().slice(0, 8);
  const key = await admin.secrets.create({
    name: `provider-key-${suffix}`,
    value: `sk-test-${suffix}`,
    scope: 'agent',
  });
  const provider = await admin.providers.create({
    name: `openai ${suffix}`,
    providerType: 'cloudflare-ai-gateway',
    kind: 'openai',
    secretRef: key.id,
    config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'test-gateway' },
  });
  const agent = await admin.agents.create({
    name: `agent-${suffix}`,
    providerId: provider.id,
    modelId: 'gpt-4o-mini',
    mcpServerIds,
  });
  return agent.id;
}

/** The real HTTP server for a test app, on a free loopback port. */
export async function startTestServer(app: TestApp): Promise<{ url: string; close(): Promise<void> }> {
  const server = await buildServer(app.deps);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('server did not bind a TCP port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}
