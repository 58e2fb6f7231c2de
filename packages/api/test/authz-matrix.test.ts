import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setInfraSecret } from '../src/infra-secrets/service';
import { createContextInner } from '../src/core/context';
import { appRouter, createCaller } from '../src/router';
import { createTestApp, type TestApp } from './support/harness';

/**
 * Every procedure of the router × every kind of caller. The table below is the contract: a
 * procedure added to the router without a row here fails the first test.
 */
type Role = 'public' | 'member' | 'admin' | 'worker';

interface Fixtures {
  secretId: string;
  keyId: string;
  providerId: string;
  agentId: string;
  mcpServerId: string;
  groupId: string;
  tokenId: string;
  victimUserId: string;
  orgId: string;
}

interface Row {
  role: Role;
  /** Input built from org A's fixtures. */
  input?: (f: Fixtures) => unknown;
  /** True when the input names org A's rows, so org B's admin must get NOT_FOUND. */
  foreignIsNotFound?: boolean;
}

const ROWS: Record<string, Row> = {
  health: { role: 'public' },
  me: { role: 'member' },
  'secrets.list': { role: 'admin', input: () => ({}) },
  'secrets.get': { role: 'admin', input: (f) => ({ id: f.secretId }), foreignIsNotFound: true },
  'secrets.create': { role: 'admin', input: () => ({ name: `m-${crypto.randomUUID()}`, value: 'v', scope: 'org' }) },
  'secrets.update': { role: 'admin', input: (f) => ({ id: f.secretId, description: 'x' }), foreignIsNotFound: true },
  'secrets.delete': { role: 'admin', input: () => ({ id: crypto.randomUUID() }), foreignIsNotFound: true },
  'secrets.reveal': { role: 'admin', input: (f) => ({ id: f.secretId }), foreignIsNotFound: true },
  'secrets.versions': { role: 'admin', input: (f) => ({ id: f.secretId }), foreignIsNotFound: true },
  'secrets.rollback': { role: 'admin', input: (f) => ({ id: f.secretId, toVersion: 1 }), foreignIsNotFound: true },
  'secrets.import': {
    role: 'admin',
    input: () => ({ scope: 'org', format: 'dotenv', content: `M_${crypto.randomUUID().slice(0, 8)}=v`, dryRun: true }),
  },
  'secrets.options': { role: 'member', input: () => ({}) },
  'secrets.export': { role: 'admin', input: () => ({ namespace: 'matrix' }) },
  'secrets.runEnv': { role: 'admin', input: () => ({ namespace: 'matrix', command: 'env' }) },
  'grants.list': { role: 'admin', input: (f) => ({ secretId: f.secretId }), foreignIsNotFound: true },
  'grants.add': {
    role: 'admin',
    input: (f) => ({ secretId: f.secretId, granteeType: 'group', granteeId: f.groupId }),
    foreignIsNotFound: true,
  },
  'grants.remove': {
    role: 'admin',
    input: (f) => ({ secretId: f.secretId, granteeType: 'group', granteeId: f.groupId }),
    foreignIsNotFound: true,
  },
  'members.list': { role: 'admin' },
  'members.add': { role: 'admin', input: () => ({ email: `${crypto.randomUUID()}@matrix.test`, role: 'member' }) },
  'members.remove': { role: 'admin', input: (f) => ({ userId: f.victimUserId }), foreignIsNotFound: true },
  'members.issueToken': { role: 'admin', input: (f) => ({ userId: f.victimUserId }), foreignIsNotFound: true },
  'members.setRole': {
    role: 'admin',
    input: (f) => ({ userId: f.victimUserId, role: 'admin' }),
    foreignIsNotFound: true,
  },
  'groups.list': { role: 'member' },
  'groups.create': { role: 'admin', input: () => ({ name: 'matrix group' }) },
  'groups.overview': { role: 'admin' },
  'groups.rename': { role: 'admin', input: (f) => ({ id: f.groupId, name: 'matrix' }), foreignIsNotFound: true },
  'groups.delete': { role: 'admin', input: () => ({ id: crypto.randomUUID() }), foreignIsNotFound: true },
  'tokens.list': { role: 'admin' },
  'tokens.create': { role: 'admin', input: () => ({ name: 'matrix', kind: 'worker' }) },
  'tokens.revoke': { role: 'admin', input: (f) => ({ id: f.tokenId }), foreignIsNotFound: true },
  'audit.list': { role: 'admin', input: () => ({}) },
  'audit.verify': { role: 'admin' },
  'providers.list': { role: 'member' },
  'providers.get': { role: 'member', input: (f) => ({ id: f.providerId }), foreignIsNotFound: true },
  'providers.create': {
    role: 'admin',
    input: (f) => ({
      name: 'p',
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: f.keyId,
      config: CONFIG,
    }),
  },
  'providers.update': { role: 'admin', input: (f) => ({ id: f.providerId, name: 'renamed' }), foreignIsNotFound: true },
  'providers.delete': { role: 'admin', input: () => ({ id: crypto.randomUUID() }), foreignIsNotFound: true },
  'agents.list': { role: 'member' },
  'agents.get': { role: 'member', input: (f) => ({ id: f.agentId }), foreignIsNotFound: true },
  'agents.create': { role: 'member', input: (f) => ({ name: 'a', providerId: f.providerId, modelId: 'gpt-4o-mini' }) },
  'agents.update': {
    role: 'member',
    input: (f) => ({ id: f.agentId, instructions: 'be brief' }),
    foreignIsNotFound: true,
  },
  'agents.delete': { role: 'member', input: () => ({ id: crypto.randomUUID() }), foreignIsNotFound: true },
  'mcpServers.list': { role: 'member' },
  'mcpServers.get': { role: 'member', input: (f) => ({ id: f.mcpServerId }), foreignIsNotFound: true },
  'mcpServers.create': {
    role: 'admin',
    input: (f) => ({ name: 'm', url: 'https://mcp.example.test/mcp', secretRef: f.keyId }),
  },
  'mcpServers.update': {
    role: 'admin',
    input: (f) => ({ id: f.mcpServerId, name: 'renamed' }),
    foreignIsNotFound: true,
  },
  'mcpServers.delete': { role: 'admin', input: () => ({ id: crypto.randomUUID() }), foreignIsNotFound: true },
  'mcpServers.validate': { role: 'admin', input: (f) => ({ id: f.mcpServerId }), foreignIsNotFound: true },
  'mcpServers.connect': { role: 'admin', input: (f) => ({ id: f.mcpServerId }), foreignIsNotFound: true },
  'mcpServers.disconnect': { role: 'admin', input: (f) => ({ id: f.mcpServerId }), foreignIsNotFound: true },
  'internal.resolveSecret': {
    role: 'worker',
    input: (f) => ({ orgId: f.orgId, secretId: f.keyId, agentId: f.agentId }),
    foreignIsNotFound: true,
  },
  'internal.agentRuntimeConfig': {
    role: 'worker',
    input: (f) => ({ orgId: f.orgId, agentId: f.agentId }),
    foreignIsNotFound: true,
  },
  'internal.runCredentials': {
    role: 'worker',
    input: (f) => ({ orgId: f.orgId, agentId: f.agentId }),
    foreignIsNotFound: true,
  },
  'internal.resolveMcpToken': {
    role: 'worker',
    input: (f) => ({ orgId: f.orgId, agentId: f.agentId, mcpServerId: f.mcpServerId }),
    foreignIsNotFound: true,
  },
  'internal.secretVersions': {
    role: 'worker',
    input: (f) => ({ orgId: f.orgId, ids: [f.secretId] }),
    foreignIsNotFound: true,
  },
  'internal.events': { role: 'worker', input: (f) => ({ orgId: f.orgId }), foreignIsNotFound: true },
  'internal.infraSecret': { role: 'worker', input: () => ({ name: 'ai-gateway-token' }) },
  'internal.infraSecretVersions': { role: 'worker', input: () => ({ names: ['ai-gateway-token'] }) },
};

const CONFIG = { accountId: '0123456789abcdef0123456789abcdef', gateway: 'gw' };

type CallerName = 'anonymous' | 'worker' | 'foreignWorker' | 'member' | 'foreignAdmin' | 'admin';
const CALLERS: CallerName[] = ['anonymous', 'foreignWorker', 'worker', 'member', 'foreignAdmin', 'admin'];

/** What each caller must get for a procedure of each role ('allowed' = past the role check). */
const EXPECTED: Record<Role, Record<CallerName, 'allowed' | TRPCError['code']>> = {
  public: {
    anonymous: 'allowed',
    foreignWorker: 'allowed',
    worker: 'allowed',
    member: 'allowed',
    foreignAdmin: 'allowed',
    admin: 'allowed',
  },
  member: {
    anonymous: 'UNAUTHORIZED',
    foreignWorker: 'FORBIDDEN',
    worker: 'FORBIDDEN',
    member: 'allowed',
    foreignAdmin: 'allowed',
    admin: 'allowed',
  },
  admin: {
    anonymous: 'UNAUTHORIZED',
    foreignWorker: 'FORBIDDEN',
    worker: 'FORBIDDEN',
    member: 'FORBIDDEN',
    foreignAdmin: 'allowed',
    admin: 'allowed',
  },
  worker: {
    anonymous: 'UNAUTHORIZED',
    foreignWorker: 'allowed',
    worker: 'allowed',
    member: 'FORBIDDEN',
    foreignAdmin: 'FORBIDDEN',
    admin: 'FORBIDDEN',
  },
};

/** Callers from org B, who must find nothing of org A's. */
const FOREIGN: CallerName[] = ['foreignAdmin', 'foreignWorker'];

let app: TestApp;
let fixtures: Fixtures;
const procedures = Object.keys(appRouter._def.procedures).sort();

beforeAll(async () => {
  // Loopback allowed, so the MCP server below (port 9: refused at once) can be stored and validated.
  app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1' } });
  const admin = app.caller(app.orgA.adminToken);
  const secret = await admin.secrets.create({ name: 'matrix', value: 'matrix-value', scope: 'org' });
  await admin.secrets.update({ id: secret.id, value: 'matrix-value-2' });
  const group = await admin.groups.create({ name: 'matrix' });
  const token = await admin.tokens.create({ name: 'to-revoke', kind: 'worker' });
  const victim = await admin.members.add({ email: 'victim@acme.test', role: 'member' });
  await setInfraSecret(app.deps, 'ai-gateway-token', 'matrix-gateway-token');
  const key = await admin.secrets.create({ name: 'matrix-key', value: 'sk-matrix', scope: 'agent' });
  const provider = await admin.providers.create({
    name: 'p',
    providerType: 'cloudflare-ai-gateway',
    kind: 'openai',
    secretRef: key.id,
    config: CONFIG,
  });
  // Unreachable on purpose (port 9): validate answers fast.
  const mcp = await admin.mcpServers.create({ name: 'm', url: 'http://127.0.0.1:9/mcp', secretRef: key.id });
  const agent = await admin.agents.create({
    name: 'a',
    providerId: provider.id,
    modelId: 'gpt-4o-mini',
    mcpServerIds: [mcp.id],
  });
  fixtures = {
    secretId: secret.id,
    keyId: key.id,
    providerId: provider.id,
    agentId: agent.id,
    mcpServerId: mcp.id,
    groupId: group.id,
    tokenId: token.id,
    victimUserId: victim.userId,
    orgId: app.orgA.orgId,
  };
});
afterAll(() => app.close());

function tokenOf(name: CallerName): string | undefined {
  return {
    anonymous: undefined,
    worker: app.orgA.workerToken,
    foreignWorker: app.orgB.workerToken,
    member: app.orgA.memberToken,
    foreignAdmin: app.orgB.adminToken,
    admin: app.orgA.adminToken,
  }[name];
}

async function invoke(path: string, caller: CallerName): Promise<'allowed' | TRPCError['code']> {
  const row = ROWS[path]!;
  // A subscription answers with an iterator that waits for events: the signal ends it.
  const stop = new AbortController();
  const callerFor = createCaller(createContextInner({ deps: app.deps, token: tokenOf(caller) }), {
    signal: stop.signal,
  });
  // The caller is walked by path name, which its type cannot follow.
  const target = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], callerFor) as (
    input: unknown,
  ) => Promise<unknown>;
  try {
    const out = await target(row.input?.(fixtures));
    if (out && typeof out === 'object' && Symbol.asyncIterator in out) {
      const step = (out as AsyncIterable<unknown>)[Symbol.asyncIterator]().next();
      setTimeout(() => stop.abort(), 50);
      await step;
    }
    return 'allowed';
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    if (err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN') return err.code;
    if (FOREIGN.includes(caller) && err.code === 'NOT_FOUND') return 'NOT_FOUND';
    return 'allowed';
  }
}

describe('authorization matrix', () => {
  it('has a row for every procedure of the router, and none for a procedure that is gone', () => {
    expect(procedures.filter((p) => !(p in ROWS))).toEqual([]);
    expect(Object.keys(ROWS).filter((p) => !procedures.includes(p))).toEqual([]);
  });

  it.each(procedures)('%s: each caller gets exactly its role’s answer', async (path) => {
    const row = ROWS[path]!;
    for (const caller of CALLERS) {
      let expected = EXPECTED[row.role][caller];
      if (FOREIGN.includes(caller) && expected === 'allowed' && row.foreignIsNotFound) expected = 'NOT_FOUND';
      expect({ caller, outcome: await invoke(path, caller) }).toEqual({ caller, outcome: expected });
    }
  });

  it('names the missing role in FORBIDDEN messages', async () => {
    const err = await app
      .caller(app.orgA.memberToken)
      .secrets.list({})
      .catch((e: unknown) => e);
    expect((err as TRPCError).message).toMatch(/admin/);
  });
});
