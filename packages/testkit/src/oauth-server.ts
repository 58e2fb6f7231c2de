import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { buildMcp } from './mcp-server';
import { type OidcTestResource, startOidcProvider } from './oidc-provider';

/**
 * A real OAuth 2.1 authorization server for MCP servers in tests: the testkit's `oidc-provider`
 * with dynamic client registration, PKCE required, resource indicators issuing JWT access tokens
 * (audience = the MCP server's URL), short access-token lifetimes, refresh-token rotation,
 * revocation, the client credentials grant and its development login pages (any password).
 */
export interface TestAuthorizationServer {
  readonly issuer: string;
  readonly jwksUri: string;
  /** Token-endpoint grants that succeeded, by grant type (`refresh_token` counts refreshes). */
  readonly grants: Record<string, number>;
  /** Token-endpoint grants the server refused, by grant type. */
  readonly refusedGrants: Record<string, number>;
  /** Tokens revoked through the revocation endpoint. */
  readonly revocations: number;
  /** Clients registered through dynamic registration. */
  readonly registrations: Record<string, unknown>[];
  /** Accepts `resource` (an MCP server's URL) as a resource indicator, offering these scopes. */
  addResource(resource: string, scopes: string[]): void;
  /** Revokes every grant: refresh tokens stop working, as when a user revokes access at the server. */
  revokeAll(): void;
  close(): Promise<void>;
}

/** oidc-provider's storage, as plain maps, so a test can revoke everything at once. */
function memoryAdapterFactory(store: Map<string, Map<string, AdapterPayload & { expiresAt?: number }>>) {
  return class MemoryAdapter implements Adapter {
    private readonly items: Map<string, AdapterPayload & { expiresAt?: number }>;
    constructor(name: string) {
      this.items = store.get(name) ?? new Map<string, AdapterPayload & { expiresAt?: number }>();
      store.set(name, this.items);
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      this.items.set(id, { ...payload, ...(expiresIn ? { expiresAt: Date.now() + expiresIn * 1000 } : {}) });
    }
    async find(id: string) {
      const item = this.items.get(id);
      if (item?.expiresAt && item.expiresAt < Date.now()) return undefined;
      return item;
    }
    async findByUserCode(code: string) {
      return [...this.items.values()].find((i) => i.userCode === code);
    }
    async findByUid(uid: string) {
      return [...this.items.values()].find((i) => i.uid === uid);
    }
    async consume(id: string) {
      const item = this.items.get(id);
      if (item) item.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      this.items.delete(id);
    }
    async revokeByGrantId(grantId: string) {
      for (const [id, item] of this.items) if (item.grantId === grantId) this.items.delete(id);
    }
  };
}

/**
 * Starts the authorization server on a free loopback port: the testkit's oidc-provider (see
 * `startOidcProvider`), extended with what an OAuth client of MCP servers meets in the wild.
 * @example const as = await startTestAuthorizationServer({ accessTokenTtlSeconds: 10 });
 */
export async function startTestAuthorizationServer(
  options: {
    accessTokenTtlSeconds?: number;
    /** Pre-registered confidential clients (`client_secret_basic`), e.g. for client credentials. */
    clients?: { clientId: string; clientSecret: string; grantTypes: string[]; redirectUris?: string[] }[];
  } = {},
): Promise<TestAuthorizationServer> {
  const ttl = options.accessTokenTtlSeconds ?? 60;
  const resources: Record<string, OidcTestResource> = {};
  const store = new Map<string, Map<string, AdapterPayload & { expiresAt?: number }>>();
  const grants: Record<string, number> = {};
  const refusedGrants: Record<string, number> = {};
  const registrations: Record<string, unknown>[] = [];
  let revocations = 0;

  const idp = await startOidcProvider({
    clients: (options.clients ?? []).map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_types: c.grantTypes,
      redirect_uris: c.redirectUris ?? [],
      response_types: c.redirectUris?.length ? ['code'] : [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    accounts: { alice: {}, bob: {} },
    // Filled in as MCP servers start (their URLs are their resource indicators).
    resources,
    configure: (config) => ({
      ...config,
      adapter: memoryAdapterFactory(store),
      pkce: { required: () => true },
      rotateRefreshToken: true,
      ttl: { ...(config.ttl as object), AccessToken: ttl, ClientCredentials: ttl, RefreshToken: 24 * 3600 },
      features: {
        ...config.features,
        registration: { enabled: true },
        revocation: {
          enabled: true,
          // Called for each token the endpoint is asked to revoke: counts them, allows all.
          allowedPolicy: async () => {
            revocations++;
            return true;
          },
        },
        clientCredentials: { enabled: true },
      },
    }),
  });
  const provider = idp.provider();
  provider.on('grant.success', (ctx) => {
    const type = String(ctx.oidc.params?.grant_type);
    grants[type] = (grants[type] ?? 0) + 1;
  });
  provider.on('grant.error', (ctx) => {
    const type = String(ctx.oidc.params?.grant_type);
    refusedGrants[type] = (refusedGrants[type] ?? 0) + 1;
  });
  provider.on('registration_create.success', (_ctx, client) => registrations.push(client.metadata()));

  return {
    issuer: idp.issuer,
    jwksUri: `${idp.issuer}/jwks`,
    grants,
    refusedGrants,
    get revocations() {
      return revocations;
    },
    registrations,
    addResource(resource, scopes) {
      resources[resource] = { scope: scopes.join(' '), accessTokenTtl: ttl };
    },
    revokeAll() {
      for (const name of ['RefreshToken', 'Grant', 'AccessToken', 'ClientCredentials']) store.get(name)?.clear();
    },
    close: () => idp.close(),
  };
}

/** An MCP server protected by the authorization server's JWT access tokens. */
export interface ProtectedMcpServer {
  /** The MCP endpoint, also its resource identifier (the tokens' audience). */
  readonly url: string;
  readonly resourceMetadataUrl: string;
  /** Requests that carried a valid token. */
  readonly authorized: number;
  /** Requests refused with 401 or 403. */
  readonly refused: number;
  close(): Promise<void>;
}

/**
 * A real MCP server (the testkit's echo/add/whoami tools) that verifies bearer JWTs with `jose`
 * against the authorization server's JWKS (issuer, audience = its own URL, required scopes),
 * serves its protected resource metadata (RFC 9728) and answers 401 with
 * `WWW-Authenticate: Bearer resource_metadata=...`, or 403 `insufficient_scope`.
 * @example const mcp = await startProtectedMcpServer(as, { scopes: ['tools'] });
 */
export async function startProtectedMcpServer(
  as: Pick<TestAuthorizationServer, 'issuer' | 'jwksUri' | 'addResource'>,
  options: { scopes: string[]; requiredScopes?: string[] },
): Promise<ProtectedMcpServer> {
  const sockets = new Set<Socket>();
  const jwks = createRemoteJWKSet(new URL(as.jwksUri));
  let authorized = 0;
  let refused = 0;
  const http = createServer();
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const url = `${origin}/mcp`;
  const resourceMetadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  as.addResource(url, options.scopes);
  const required = options.requiredScopes ?? [];

  const refuse = (res: ServerResponse, status: 401 | 403, error: string) => {
    refused++;
    const scope = status === 403 ? `, scope="${required.join(' ')}"` : '';
    res.writeHead(status, {
      'content-type': 'application/json',
      'www-authenticate': `Bearer error="${error}"${scope}, resource_metadata="${resourceMetadataUrl}"`,
    });
    res.end(JSON.stringify({ error }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/.well-known/oauth-protected-resource/mcp') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          resource: url,
          authorization_servers: [as.issuer],
          scopes_supported: options.scopes,
          bearer_methods_supported: ['header'],
        }),
      );
    }
    const token = req.headers.authorization?.match(/^Bearer (\S+)$/)?.[1];
    if (!token) return refuse(res, 401, 'invalid_token');
    let scopes: string[];
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: as.issuer, audience: url });
      scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    } catch {
      return refuse(res, 401, 'invalid_token');
    }
    if (!required.every((s) => scopes.includes(s))) return refuse(res, 403, 'insufficient_scope');
    authorized++;
    const mcp = buildMcp();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  };
  http.on('request', (req: IncomingMessage, res: ServerResponse) => void handle(req, res));

  return {
    url,
    resourceMetadataUrl,
    get authorized() {
      return authorized;
    },
    get refused() {
      return refused;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

/** A cookie jar good enough for one sign-in at one server. */
function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    store(res: Response) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const at = pair!.indexOf('=');
        cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
      }
    },
  };
}

/**
 * Signs in at the test authorization server without a browser: follows the authorization URL
 * through its login and consent pages over HTTP, and returns the redirect to the client (the
 * callback URL with `code`, `state` and `iss`) without following it.
 * @example const callback = await signInWithoutBrowser(authorizationUrl, 'alice');
 */
export async function signInWithoutBrowser(authorizationUrl: string, login = 'alice'): Promise<string> {
  const jar = cookieJar();
  let next = authorizationUrl;
  const origin = new URL(authorizationUrl).origin;
  for (let step = 0; step < 12; step++) {
    if (!next.startsWith(origin)) return next;
    const res = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(res);
    const location = res.headers.get('location');
    if (location) {
      next = new URL(location, next).href;
      continue;
    }
    const page = await res.text();
    if (res.status !== 200)
      throw new Error(`sign-in stopped at ${next} with HTTP ${res.status}: ${page.slice(0, 300)}`);
    const action = page.match(/<form[^>]*action="([^"]+)"/)?.[1];
    const prompt = page.match(/name="prompt" value="([^"]+)"/)?.[1];
    if (!action || !prompt) throw new Error(`no sign-in form at ${next}`);
    const body = new URLSearchParams({ prompt, ...(prompt === 'login' ? { login, password: 'any' } : {}) });
    const posted = await fetch(new URL(action, next), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    jar.store(posted);
    const to = posted.headers.get('location');
    if (!to) throw new Error(`sign-in form at ${next} answered HTTP ${posted.status} without a redirect`);
    next = new URL(to, next).href;
  }
  throw new Error('sign-in did not reach the client within 12 steps');
}
