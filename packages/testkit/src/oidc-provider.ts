// An ambient module declaration has nothing to import; packages that import this file need it too.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./oidc-provider-memory-adapter.d.ts" />
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

/** A resource server (API) the provider issues JWT access tokens for: its indicator is the audience. */
export interface OidcTestResource {
  /** Space-separated scopes the resource accepts; granted without a consent screen. */
  scope?: string;
  /** Access token lifetime in seconds (default 300). */
  accessTokenTtl?: number;
}

export interface OidcTestProviderOptions {
  /** Clients as oidc-provider takes them (e.g. a public client: `token_endpoint_auth_method: 'none'`). */
  clients: ClientMetadata[];
  /** Accounts by login: the claims each puts in ID tokens, userinfo and access tokens. */
  accounts: Record<string, Record<string, unknown>>;
  /** Resource indicators to issue JWT access tokens for, e.g. `{ 'https://api.test': {} }`. */
  resources?: Record<string, OidcTestResource>;
  /** The resource used when a request names none (default: the first of `resources`). */
  defaultResource?: string;
  /** Signing algorithm of the provider's keys: `RS256` (default) or `ES256`. */
  alg?: 'RS256' | 'ES256';
  /** Last word on the configuration, for features this helper does not set (e.g. registration). */
  configure?: (config: Configuration) => Configuration;
}

/** A private signing key of the provider, for tests that forge tokens with the real key. */
export type SigningKey = JWK & { kid: string; alg: string };

export interface OidcTestProvider {
  /** `http://127.0.0.1:<port>`, the `iss` of everything it issues. */
  readonly issuer: string;
  /** Paths requested so far (e.g. to count JWKS fetches), oldest first. */
  requests(): readonly string[];
  /** The running oidc-provider instance (replaced by `rotateKeys`). */
  provider(): Provider;
  /** The signing keys, current first. */
  keys(): readonly SigningKey[];
  /** Registers another client (e.g. one whose redirect URI is known only once its server listens). */
  addClient(client: ClientMetadata): void;
  /** Changes an account's claims; the next token issued for it carries them. */
  setClaims(login: string, claims: Record<string, unknown>): void;
  /**
   * Rotates the signing key: a new provider instance (same issuer, port, grants and sessions)
   * signs with a fresh key and publishes it first; the old key stays in the JWKS unless dropped.
   */
  rotateKeys(options?: { dropOld?: boolean }): Promise<SigningKey>;
  /**
   * Signs `login` in through the real authorization endpoint and interaction pages (authorization
   * code with PKCE, as a browser would, cookies included) and redeems the code at the token endpoint.
   */
  signIn(options: {
    login: string;
    clientId: string;
    redirectUri: string;
    scope?: string;
    resource?: string;
  }): Promise<oauth.TokenEndpointResponse>;
  /** A refresh-token grant for a public client. */
  refresh(options: { clientId: string; refreshToken: string; resource?: string }): Promise<oauth.TokenEndpointResponse>;
  close(): Promise<void>;
}

async function newSigningKey(alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg, use: 'sig' };
}

/** A public client may redeem tokens from its redirect URIs' origins (the console's fetch). */
function originsOf(clients: ClientMetadata[]): Set<string> {
  return new Set(clients.flatMap((c) => (c.redirect_uris ?? []).map((uri) => new URL(uri).origin)));
}

/**
 * A real oidc-provider (a certified OpenID provider) on 127.0.0.1 with a free port: dev login
 * pages (any password), consent granted without asking, JWT access tokens for each resource
 * carrying the account's claims, and key rotation.
 * @example const idp = await startOidcProvider({ clients: [...], accounts: { alice: { org: 'acme' } } });
 */
export async function startOidcProvider(options: OidcTestProviderOptions): Promise<OidcTestProvider> {
  const accounts = new Map(Object.entries(options.accounts).map(([login, claims]) => [login, { ...claims }]));
  const resources = options.resources ?? {};
  const defaultResource = options.defaultResource ?? Object.keys(resources)[0];
  const cookieKeys = [randomBytes(32).toString('hex')];
  const alg = options.alg ?? 'RS256';
  const clients = [...options.clients];
  let keys: SigningKey[] = [await newSigningKey(alg)];
  // One store for every instance, so sessions, grants and refresh tokens survive a key rotation.
  const adapter = createMemoryAdapter();
  let current: Provider | undefined;
  let handler: ReturnType<Provider['callback']> | undefined;

  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(new URL(req.url ?? '/', 'http://x').pathname);
    if (!handler) return res.writeHead(503).end();
    // The provider's Koa callback answers its own errors; nothing is left to await.
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration = (): Configuration => {
    const config: Configuration = {
      adapter,
      clients,
      jwks: { keys },
      cookies: { keys: cookieKeys },
      // Explicit lifetimes (seconds), so the provider does not warn about its defaults.
      ttl: {
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
        IdToken: 300,
        AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 300,
        RefreshToken: 3600,
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      clientBasedCORS: (_ctx, origin) => originsOf(clients).has(origin),
      findAccount: (_ctx, sub) => {
        const claims = accounts.get(sub);
        return claims && { accountId: sub, claims: () => ({ ...claims, sub }) };
      },
      // Test users never see a consent screen: what the client asked for is granted.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const { Grant } = ctx.oidc.provider;
        const found = ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
        if (found) {
          const grant = await Grant.find(found);
          if (grant) return grant;
        }
        const grant = new Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
        for (const indicator of Object.keys(ctx.oidc.resourceServers ?? {}))
          grant.addResourceScope(indicator, resources[indicator]?.scope ?? '');
        await grant.save();
        return grant;
      },
      // Any client allowed the grant gets refresh tokens (no offline_access consent dance).
      issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      extraTokenClaims: (_ctx, token) => {
        const accountId = 'accountId' in token ? token.accountId : undefined;
        return accountId ? { ...accounts.get(accountId) } : undefined;
      },
      features: {
        devInteractions: { enabled: true },
        revocation: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => defaultResource ?? '',
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            const resource = resources[indicator];
            if (!resource) throw new errors.InvalidTarget();
            return {
              audience: indicator,
              scope: resource.scope ?? '',
              accessTokenTTL: resource.accessTokenTtl ?? 300,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg } },
            };
          },
        },
      },
    };
    return options.configure ? options.configure(config) : config;
  };

  const boot = () => {
    current = new Provider(issuer, configuration());
    handler = current.callback();
  };
  boot();

  const as = async (): Promise<oauth.AuthorizationServer> =>
    oauth.processDiscoveryResponse(
      new URL(issuer),
      await oauth.discoveryRequest(new URL(issuer), { [oauth.allowInsecureRequests]: true }),
    );

  return {
    issuer,
    requests: () => requests,
    provider: () => current!,
    keys: () => keys,
    addClient(client) {
      clients.push(client);
      boot();
    },
    setClaims(login, claims) {
      if (!accounts.has(login)) throw new Error(`No test account "${login}"`);
      accounts.set(login, { ...claims });
    },
    async rotateKeys({ dropOld = false } = {}) {
      const fresh = await newSigningKey(alg);
      keys = dropOld ? [fresh] : [fresh, ...keys];
      boot();
      return fresh;
    },
    async signIn({ login, clientId, redirectUri, scope = 'openid email', resource }) {
      const server = await as();
      const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(server.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope,
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...(resource ? { resource } : {}),
      }).toString();
      const callback = await browse(url, login, redirectUri);
      const params = oauth.validateAuthResponse(server, client, callback, state);
      const response = await oauth.authorizationCodeGrantRequest(
        server,
        client,
        oauth.None(),
        params,
        redirectUri,
        verifier,
        { [oauth.allowInsecureRequests]: true, ...(resource ? { additionalParameters: { resource } } : {}) },
      );
      return oauth.processAuthorizationCodeResponse(server, client, response);
    },
    async refresh({ clientId, refreshToken, resource }) {
      const server = await as();
      const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
      const response = await oauth.refreshTokenGrantRequest(server, client, oauth.None(), refreshToken, {
        [oauth.allowInsecureRequests]: true,
        ...(resource ? { additionalParameters: { resource } } : {}),
      });
      return oauth.processRefreshTokenResponse(server, client, response);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * Follows the provider's redirects with a cookie jar like a browser, submitting the dev login
 * form for `login`, until it redirects to `redirectUri`; returns that callback URL.
 */
async function browse(start: URL, login: string, redirectUri: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = start;
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, {
      method: body ? 'POST' : 'GET',
      body,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    body = undefined;
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url);
      if (url.href.startsWith(redirectUri)) return url;
      continue;
    }
    const html = await res.text();
    if (!res.ok || !html.includes('name="login"'))
      throw new Error(`The provider answered ${res.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    const action = /action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error('The provider login page has no form');
    url = new URL(action.replaceAll('&amp;', '&'), url);
    body = new URLSearchParams({ prompt: 'login', login, password: 'test' });
  }
  throw new Error('Too many redirects signing in at the provider');
}
