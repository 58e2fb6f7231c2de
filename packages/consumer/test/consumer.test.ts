import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestAgent, createTestApp, setInfraSecret, startTestServer, type TestApp } from '@strongroom/api/testing';
import { type GatewayStandIn, startGatewayStandIn } from '@strongroom/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The published packages as a consumer gets them: built, packed with `npm pack`, installed with
 * plain npm defaults into a project outside the workspace, type-checked there with the
 * consumer's own tsc (skipLibCheck off), and run against a real server and gateway stand-in.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixture/', import.meta.url));
/** The runtime depends on the address guard, so it is published (and packed) with it. */
const PUBLISHED = [
  '@strongroom/crypto',
  '@strongroom/client',
  '@strongroom/agents-runtime',
  '@strongroom/address-guard',
];
/** The server's runtime packages: none may reach a consumer of the client or the runtime. */
const SERVER_ONLY = ['fastify', 'pg', 'kysely', '@electric-sql/pglite', '@strongroom/api', '@strongroom/db'];
const GATEWAY_TOKEN = 'consumer-gateway-token';
const INSTALL_TIMEOUT_MS = 300_000;

const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};

/** The environment without what `npm test` adds (npm_config_*, npm_package_*): plain npm defaults. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|INIT_CWD$|NODE_OPTIONS$)/i.test(key)),
  );
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = plainEnv(), timeout = 120_000) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout });
  const output = `${result.stdout}${result.stderr}`;
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}\n${output}`);
  return { status: result.status, stdout: result.stdout, output };
}

/**
 * Runs a compiled consumer script (asynchronously: the server it calls runs in this process) and
 * parses the one JSON object it prints last.
 */
async function runScript(app: string, file: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, [join('out', file)], {
    cwd: app,
    env: plainEnv(env),
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** Every installed package reachable from `names` through dependencies, optional and peer ones. */
function closure(app: string, names: string[]): Set<string> {
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dependencies?: object; optionalDependencies?: object; peerDependencies?: object }>;
  };
  const locate = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!dir) return undefined;
    }
  };
  const seen = new Set<string>();
  const visit = (path: string | undefined) => {
    if (!path || seen.has(path)) return;
    seen.add(path);
    const entry = lock.packages[path]!;
    const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const dep of Object.keys(deps)) visit(locate(path, dep));
  };
  for (const name of names) visit(`node_modules/${name}`);
  return new Set([...seen].map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)));
}

let work: string;
let app: string;
let testApp: TestApp;
let server: Awaited<ReturnType<typeof startTestServer>>;
let gateway: GatewayStandIn;
let agentId: string;
let install: ReturnType<typeof run>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sr-consumer-'));
  app = join(work, 'app');
  cpSync(FIXTURE, app, { recursive: true });

  // npm rather than turbo: this test itself runs under `turbo run test`.
  const workspaces = PUBLISHED.flatMap((name) => ['-w', name]);
  const build = run('npm', ['run', 'build', ...workspaces], ROOT, process.env, 300_000);
  expect(build.status, build.output).toBe(0);
  const pack = run('npm', ['pack', '--json', '--pack-destination', work, ...workspaces], ROOT);
  expect(pack.status, pack.output).toBe(0);
  const tarballs = (JSON.parse(pack.stdout) as { filename: string }[]).map((t) => join(work, t.filename));

  // The consumer's own tsc, as this repo pins it.
  const tools = ['typescript', '@types/node'].map((name) => `${name}@${rootPackage.devDependencies[name]}`);
  install = run(
    'npm',
    ['install', '--no-audit', '--no-fund', ...tarballs, ...tools],
    app,
    plainEnv(),
    INSTALL_TIMEOUT_MS,
  );

  gateway = await startGatewayStandIn({ gatewayToken: GATEWAY_TOKEN });
  gateway.script(() => ({ text: 'Hello from the gateway stand-in' }));
  testApp = await createTestApp();
  await setInfraSecret(testApp.deps, 'ai-gateway-token', GATEWAY_TOKEN);
  agentId = await createTestAgent(testApp, testApp.orgA);
  server = await startTestServer(testApp);
});

afterAll(async () => {
  await server?.close();
  await testApp?.close();
  await gateway?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages in a project outside the workspace', () => {
  it('install with plain npm defaults (no --legacy-peer-deps), within the time bound', () => {
    expect(app.startsWith(ROOT)).toBe(false);
    expect(install.status, install.output).toBe(0);
    for (const name of PUBLISHED) expect(existsSync(join(app, 'node_modules', name, 'dist', 'index.js'))).toBe(true);
  });

  it('type-check with the consumer’s tsc: inferred router types, @ts-expect-error on wrong input', () => {
    const tsc = run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
    expect(tsc.output).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('our declarations pass with skipLibCheck off and name no server package', () => {
    // tRPC's ws adapter and the AI SDK ship declarations that fail a full library check on their
    // own (missing @types/ws members, json-schema), so only errors in our files may not appear.
    const tsc = run(
      process.execPath,
      [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', '.', '--skipLibCheck', 'false', '--noEmit'],
      app,
    );
    const ours = tsc.output
      .split('\n')
      .filter((line) => line.includes('node_modules/@strongroom/') || line.startsWith('src/'));
    expect(ours).toEqual([]);
    expect(tsc.output).not.toMatch(
      /Cannot find module '(fastify|pg|kysely|@electric-sql\/pglite|@aws-sdk\/[^']+|@strongroom\/(api|db))'/,
    );
    const routerTypes = readFileSync(join(app, 'node_modules/@strongroom/client/dist/router.d.ts'), 'utf8');
    expect([...routerTypes.matchAll(/import\("([^"]+)"\)/g)].every((m) => m[1] === '@trpc/server')).toBe(true);
  });

  it('the client calls the started server', async () => {
    const out = await runScript(app, 'client.js', { STRONGROOM_URL: server.url, ADMIN_TOKEN: testApp.orgA.adminToken });
    expect(out).toEqual({ role: 'admin', org: 'acme', value: 'consumer-value', conflict: true });
  });

  it('the runtime SDK runs an agent turn through the server and the gateway stand-in', async () => {
    const out = await runScript(app, 'runtime.js', {
      STRONGROOM_URL: server.url,
      WORKER_TOKEN: testApp.orgA.workerToken,
      ORG_ID: testApp.orgA.orgId,
      AGENT_ID: agentId,
      GATEWAY_URL: gateway.url,
    });
    expect(out).toMatchObject({ text: 'Hello from the gateway stand-in', redacted: true, missing: expect.any(String) });
    expect(out.scrubbed).not.toContain('hunter2');
    expect(gateway.requests.length).toBeGreaterThan(0);
  });

  it('the crypto library seals and opens on its own', async () => {
    const out = await runScript(app, 'crypto.js', {});
    expect(out).toEqual({ opened: 'consumer-plaintext', keyId: 'kek-1', wrongContext: 'DECRYPTION_FAILED' });
  });

  it('node_modules holds no server package; only crypto brings the AWS SDK (its KMS keyring)', () => {
    for (const name of SERVER_ONLY) expect(existsSync(join(app, 'node_modules', name)), name).toBe(false);
    const fromClientAndRuntime = closure(app, ['@strongroom/client', '@strongroom/agents-runtime']);
    expect([...fromClientAndRuntime].filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
    const fromCrypto = closure(app, ['@strongroom/crypto']);
    expect(fromCrypto.has('@aws-sdk/client-kms')).toBe(true);
    expect([...fromCrypto].filter((name) => name.startsWith('@strongroom/'))).toEqual(['@strongroom/crypto']);
  });
});

describe('the built packages from the repository root', () => {
  it('import in plain Node with no loader', () => {
    const script = `for (const name of ${JSON.stringify(PUBLISHED)}) console.log(name, Object.keys(await import(name)).length);`;
    const result = run(process.execPath, ['--input-type=module', '-e', script], ROOT, plainEnv());
    expect(result.status, result.output).toBe(0);
    for (const name of PUBLISHED) expect(result.stdout).toMatch(new RegExp(`^${name} [1-9]`, 'm'));
  });
});
