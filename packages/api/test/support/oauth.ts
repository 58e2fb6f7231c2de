import {
  type ProtectedMcpServer,
  signInWithoutBrowser,
  startProtectedMcpServer,
  startTestAuthorizationServer,
  type TestAuthorizationServer,
} from '@strongroom/testkit';
import type { TestApp } from './harness';

/** An authorization server (oidc-provider) and an MCP server that takes its JWTs. */
export interface OAuthFixture {
  as: TestAuthorizationServer;
  mcp: ProtectedMcpServer;
  close(): Promise<void>;
}

/**
 * Starts the authorization server and a protected MCP server offering `scopes`.
 * @example const { as, mcp } = await startOAuthFixture({ accessTokenTtlSeconds: 8 });
 */
export async function startOAuthFixture(
  options: Parameters<typeof startTestAuthorizationServer>[0] & { scopes?: string[]; requiredScopes?: string[] } = {},
): Promise<OAuthFixture> {
  const as = await startTestAuthorizationServer(options);
  const mcp = await startProtectedMcpServer(as, {
    scopes: options.scopes ?? ['tools:read', 'tools:call'],
    ...(options.requiredScopes ? { requiredScopes: options.requiredScopes } : {}),
  });
  return { as, mcp, close: async () => void (await Promise.all([mcp.close(), as.close()])) };
}

/**
 * Connect as an admin would, without a browser: `mcpServers.connect`, sign-in at the
 * authorization server over HTTP, then the browser's visit to Strongroom's callback. Returns where
 * the callback sent the browser.
 * @example const location = await connectWithoutBrowser(app, app.orgA.adminToken, serverId);
 */
export async function connectWithoutBrowser(app: TestApp, adminToken: string, serverId: string): Promise<URL> {
  const { authorizationUrl } = await app.caller(adminToken).mcpServers.connect({ id: serverId });
  if (!authorizationUrl) throw new Error('expected an authorization URL');
  const callback = await signInWithoutBrowser(authorizationUrl);
  return followCallback(callback);
}

/** The browser's visit to Strongroom's callback: where it is sent next (or the refusal, thrown). */
export async function followCallback(callback: string): Promise<URL> {
  const res = await fetch(callback, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 303 || !location) throw new Error(`callback answered ${res.status}: ${await res.text()}`);
  return new URL(location);
}
