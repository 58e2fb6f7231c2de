import { existsSync } from 'node:fs';
import { buildServer } from '@strongroom/api/app';
import { createTestApp, type TestApp } from '@strongroom/api/testing';

/** The console the server serves: this package's build (`vite build`, run by `npm test` first). */
const BUILT = new URL('../../dist/index.html', import.meta.url);

export interface ConsoleServer {
  app: TestApp;
  url: string;
  close(): Promise<void>;
}

/**
 * The real API server with the built console, seeded orgs, and a short reveal time, on a free
 * loopback port. MCP servers on 127.0.0.1 are allowed so a test can validate against its own.
 */
export async function startConsoleServer(options: {
  revealSeconds: number;
  /** More configuration, e.g. the OIDC_* variables of an identity provider. */
  env?: Record<string, string>;
}): Promise<ConsoleServer> {
  if (!existsSync(BUILT)) throw new Error('The console is not built: run `npm run build -w @strongroom/admin` first');
  const app = await createTestApp({ env: { MCP_ALLOWED_HOSTS: '127.0.0.1', ...options.env } });
  const server = await buildServer(app.deps, { console: { revealSeconds: options.revealSeconds } });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('server did not bind a TCP port');
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await server.close();
      await app.close();
    },
  };
}
