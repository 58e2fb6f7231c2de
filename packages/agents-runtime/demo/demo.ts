/**
 * `npm run demo`: Strongroom on the embedded default (a fresh PGlite in a temporary directory),
 * a provider, an MCP server and an agent seeded through the API, and one agent turn against a
 * local stand-in of Cloudflare AI Gateway and a real MCP server. Prints the transcript and where
 * each credential travelled — header and field names only, never values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStrongroomClient } from '@strongroom/client';
import { startGatewayStandIn, startMcpTestServer } from '@strongroom/testkit';
import { createAgentsRuntime } from '../src/index';
import {
  bootstrapIfEmpty,
  buildServer,
  createLogger,
  loadConfig,
  openDeps,
  prepareDatabase,
  setInfraSecret,
} from '@strongroom/api/app';

const GATEWAY_TOKEN = `gw-${crypto.randomUUID()}`;
const PROVIDER_KEY = `sk-demo-${crypto.randomUUID()}`;
const MCP_TOKEN = `mcp-${crypto.randomUUID()}`;

/** The paths (header names, body fields) where `value` occurs inside `data`. */
function pathsOf(data: unknown, value: string, path = ''): string[] {
  if (typeof data === 'string') return data.includes(value) ? [path || '(text)'] : [];
  if (Array.isArray(data)) return data.flatMap((v, i) => pathsOf(v, value, `${path}[${i}]`));
  if (data && typeof data === 'object')
    return Object.entries(data).flatMap(([k, v]) => pathsOf(v, value, path ? `${path}.${k}` : k));
  return [];
}

const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-demo-'));
const [gateway, mcp] = await Promise.all([
  startGatewayStandIn({ gatewayToken: GATEWAY_TOKEN }),
  startMcpTestServer({ token: MCP_TOKEN }),
]);
// The MCP server runs on this machine's loopback, which the address guard refuses unless allowed.
const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', MCP_ALLOWED_HOSTS: '127.0.0.1' });
const deps = await openDeps(config, createLogger('warn', process.stderr));
await prepareDatabase(deps);
const org = (await bootstrapIfEmpty(deps))!;
await setInfraSecret(deps, 'ai-gateway-token', GATEWAY_TOKEN);
const server = await buildServer(deps);
const url = await server.listen({ port: 0, host: '127.0.0.1' });
console.log(`Strongroom (embedded PGlite in ${dataDir}) on ${url}`);
console.log(`AI Gateway stand-in on ${gateway.url}, MCP server on ${mcp.url}\n`);

try {
  const admin = createStrongroomClient({ url, token: org.adminToken });
  const { org: me } = await admin.me.query();
  const key = await admin.secrets.create.mutate({
    name: 'openai-key',
    value: PROVIDER_KEY,
    scope: 'agent',
    description: 'BYOK key',
  });
  const token = await admin.secrets.create.mutate({ name: 'tools-token', value: MCP_TOKEN, scope: 'agent' });
  const provider = await admin.providers.create.mutate({
    name: 'OpenAI via AI Gateway',
    providerType: 'cloudflare-ai-gateway',
    kind: 'openai',
    secretRef: key.id,
    config: { accountId: '0123456789abcdef0123456789abcdef', gateway: 'demo' },
  });
  const tools = await admin.mcpServers.create.mutate({ name: 'tools', url: mcp.url, secretRef: token.id });
  const agent = await admin.agents.create.mutate({
    name: 'Demo agent',
    providerId: provider.id,
    modelId: 'gpt-4o-mini',
    instructions: 'Answer briefly; use the tools when asked.',
    mcpServerIds: [tools.id],
  });
  console.log(
    `Seeded provider "${provider.name}", MCP server "${tools.name}", agent "${agent.name}" (model ${agent.model})\n`,
  );

  // The stand-in plays the model: first it calls `add`, then `whoami`, then it answers.
  gateway.script((request) => {
    const toolMessages = request.entries[0]!.query.messages.filter((m) => m.role === 'tool');
    if (toolMessages.length === 0) return { toolCalls: [{ name: 'add', args: { a: 20, b: 22 } }] };
    if (toolMessages.length === 1) return { toolCalls: [{ name: 'whoami', args: {} }] };
    return { text: `20 + 22 = 42, and the tools server reported ${JSON.stringify(toolMessages[1]!.content)}.` };
  });
  const runtime = createAgentsRuntime({
    url,
    workerToken: org.workerToken!,
    gateway: { baseUrl: gateway.url },
    mcp: { allowedHosts: ['127.0.0.1'] },
  });
  const question = 'What is 20 + 22? And who does the tools server think I am?';
  const result = await runtime.runAgent({
    orgId: me.id,
    agentId: agent.id,
    messages: [{ role: 'user', content: question }],
  });
  runtime.close();

  console.log('Transcript');
  console.log(`  user: ${question}`);
  for (const step of result.steps) {
    for (const call of step.toolCalls)
      console.log(`  assistant → tool ${call.toolName}(${JSON.stringify(call.input)})`);
    for (const r of step.toolResults) console.log(`  tool ${r.toolName} → ${JSON.stringify(r.output)}`);
  }
  console.log(`  assistant: ${result.text}\n`);

  const gatewayTraffic = gateway.requests.map((r) => ({ headers: r.headers, body: r.entries }));
  const where = (value: string) => ({
    gateway: [...new Set(gatewayTraffic.flatMap((t) => pathsOf(t, value).map((p) => p.replace(/^\[\d+\]\./, ''))))],
    mcpServer: [...new Set(mcp.headers.flatMap((h) => pathsOf(h, value)))],
  });
  console.log(
    `Where each credential travelled (${gateway.requests.length} gateway requests, ${mcp.headers.length} MCP requests)`,
  );
  for (const [name, value] of [
    ['AI Gateway token', GATEWAY_TOKEN],
    ['provider key (BYOK)', PROVIDER_KEY],
    ['MCP server token', MCP_TOKEN],
  ] as const) {
    const seen = where(value);
    console.log(`  ${name}:`);
    console.log(`    to the gateway: ${seen.gateway.join(', ') || 'nowhere'}`);
    console.log(`    to the MCP server: ${seen.mcpServer.join(', ') || 'nowhere'}`);
  }
  const inModelContext = gateway.requests.some((r) =>
    [GATEWAY_TOKEN, PROVIDER_KEY, MCP_TOKEN].some((v) => JSON.stringify(r.entries.map((e) => e.query)).includes(v)),
  );
  console.log(`  in model context (messages, tool results): ${inModelContext ? 'FOUND — this is a bug' : 'none'}`);
  if (inModelContext) process.exitCode = 1;
} finally {
  await server.close();
  await deps.storage.close();
  await Promise.all([gateway.close(), mcp.close()]);
  rmSync(dataDir, { recursive: true, force: true });
}
