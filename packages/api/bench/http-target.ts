/**
 * The benchmark's server process: Strongroom's API and the ceiling (a bare Fastify route doing one
 * primary-key lookup through pg) on one fresh Postgres database. Prints one JSON line with the
 * URLs, a token and a secret id, then serves until killed. Kept apart from the load generator so
 * autocannon's own work is not billed to the servers.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { openStorage } from '@strongroom/db';
import Fastify from 'fastify';
import pg from 'pg';
import { openDeps, prepareDatabase } from '../src/app';
import { loadConfig } from '../src/core/config';
import { createContextInner } from '../src/core/context';
import { createLogger } from '../src/core/logger';
import { createOrg } from '../src/orgs/service';
import { createCaller } from '../src/router';
import { buildServer } from '../src/server';
import { testKeyring } from '../src/testing/harness';

const url = process.argv[2]!;
const storage = await openStorage({ engine: 'postgres', url, poolSize: 20 });
const sink = new Writable({ write: (_c, _e, done) => done() });
const config = loadConfig({ DATABASE_URL: url, REVEAL_RATE_LIMIT: '100000000', DB_POOL_SIZE: '20' });
const deps = await openDeps(config, createLogger(config.logLevel, sink), { storage, keyring: testKeyring() });
await prepareDatabase(deps);
const org = await createOrg(deps.db, { name: 'bench', adminEmail: 'bench@strongroom.local' });
const caller = createCaller(createContextInner({ deps, token: org.adminToken }));
const secret = await caller.secrets.create({ name: 'bench', value: randomBytes(512).toString('base64'), scope: 'org' });
// What the runtime resolves: an agent-scope secret, for an agent on a provider.
const shared = await caller.secrets.create({
  name: 'tool-key',
  value: randomBytes(48).toString('base64'),
  scope: 'agent',
});
const key = await caller.secrets.create({
  name: 'provider-key',
  value: randomBytes(48).toString('base64'),
  scope: 'agent',
});
const provider = await caller.providers.create({
  name: 'bench',
  providerType: 'cloudflare-ai-gateway',
  kind: 'openai',
  secretRef: key.id,
  config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'bench' },
});
const agent = await caller.agents.create({ name: 'bench', providerId: provider.id, modelId: 'gpt-4o-mini' });
const worker = await caller.tokens.create({ name: 'bench worker', kind: 'worker' });

const api = await buildServer(deps);
const apiUrl = await api.listen({ port: 0, host: '127.0.0.1' });
const ceilingPool = new pg.Pool({ connectionString: url, max: 20 });
const ceiling = Fastify();
ceiling.get<{ Params: { id: string } }>('/secrets/:id', async (req) => {
  const { rows } = await ceilingPool.query('select id, name, version from secrets where id = $1', [req.params.id]);
  return rows[0];
});
const ceilingUrl = await ceiling.listen({ port: 0, host: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0));
console.log(
  JSON.stringify({
    apiUrl,
    ceilingUrl,
    token: org.adminToken,
    secretId: secret.id,
    orgId: org.orgId,
    workerToken: worker.token,
    agentId: agent.id,
    resolvableId: shared.id,
  }),
);
