import { createStrongroomClient, isStrongroomError } from '@strongroom/client';
import { type OidcTestProvider, startOidcProvider } from '@strongroom/testkit';
import { base64url, decodeProtectedHeader, generateKeyPair, importJWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthThrottle } from '../tokens/auth-throttle';
import { createTestApp, startTestServer, type TestApp } from '../../test/support';
import { expectTRPCError } from '../../test/support/expect-error';
import { createIdentityAuthenticator } from './authenticate';

const API = 'https://api.strongroom.test';
const OTHER_API = 'https://other.strongroom.test';
const CLIENT_ID = 'console';
const REDIRECT = 'http://127.0.0.1:9/callback';

/** A provider with alice (admin of acme), bob (member of acme) and carol (of an org Strongroom lacks). */
function provider(accounts: Record<string, Record<string, unknown>>) {
  return startOidcProvider({
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
      },
    ],
    accounts,
    resources: { [API]: { scope: 'secrets' }, [OTHER_API]: {} },
  });
}

describe('identity provider tokens', () => {
  let idp: OidcTestProvider;
  let untrusted: OidcTestProvider;
  let app: TestApp;
  const signIn = (login: string, resource = API) =>
    idp.signIn({ login, clientId: CLIENT_ID, redirectUri: REDIRECT, resource });

  /**
   * A token with the claims a real one would have, signed with the provider's current private key
   * unless another signer is given.
   */
  async function forge(claims: JWTPayload, signer?: { alg: string; kid: string; key: Parameters<SignJWT['sign']>[0] }) {
    const own = idp.keys()[0]!;
    const { alg, kid, key } = signer ?? { alg: own.alg, kid: own.kid, key: await importJWK(own, own.alg) };
    const now = Math.floor(Date.now() / 1000);
    const defaults = {
      iss: idp.issuer,
      aud: API,
      sub: 'alice',
      iat: now,
      exp: now + 300,
      org: 'acme',
      roles: ['admin'],
    };
    return new SignJWT({ ...defaults, ...claims }).setProtectedHeader({ alg, kid }).sign(key);
  }

  beforeAll(async () => {
    [idp, untrusted] = await Promise.all([
      provider({
        alice: { email: 'alice@acme.test', org: 'acme', roles: ['admin'] },
        bob: { email: 'bob@acme.test', org: 'acme', roles: ['member'] },
        carol: { email: 'carol@initech.test', org: 'initech', roles: ['admin'] },
      }),
      provider({ alice: { email: 'alice@acme.test', org: 'acme', roles: ['admin'] } }),
    ]);
    app = await createTestApp({
      env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: API, OIDC_CLIENT_ID: CLIENT_ID, OIDC_JWKS_COOLDOWN_MS: '0' },
    });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([idp?.close(), untrusted?.close()]);
  });

  it('acts as alice, admin of the org her claims name, provisioned on first sight', async () => {
    const { access_token } = await signIn('alice');
    const alice = app.caller(access_token);
    const me = await alice.me();
    expect(me).toMatchObject({
      user: { email: 'alice@acme.test' },
      org: { id: app.orgA.orgId, name: 'acme' },
      role: 'admin',
    });
    const row = await app.deps.db
      .selectFrom('users')
      .select(['oidc_issuer', 'oidc_subject'])
      .where('id', '=', me.user.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ oidc_issuer: idp.issuer, oidc_subject: 'alice' });
    // A second token of the same person is the same user.
    expect((await app.caller((await signIn('alice')).access_token).me()).user.id).toBe(me.user.id);
  });

  it('records the issuer and subject of the person in the audit rows of what they did', async () => {
    const alice = app.caller((await signIn('alice')).access_token);
    const secret = await alice.secrets.create({ name: 'oidc-audited', value: 'sk-oidc-canary', scope: 'org' });
    expect((await alice.secrets.reveal({ id: secret.id })).value).toBe('sk-oidc-canary');
    const rows = await app.deps.db
      .selectFrom('audit_log')
      .select(['action', 'metadata'])
      .where('target_id', '=', secret.id)
      .execute();
    // Writes (in the change's transaction) and reads (group-committed) alike.
    for (const action of ['secret.create', 'secret.reveal'])
      expect(rows.find((r) => r.action === action)?.metadata, action).toMatchObject({
        actorIdentity: { issuer: idp.issuer, subject: 'alice' },
      });
    expect((await app.caller(app.orgA.adminToken).audit.verify()).ok).toBe(true);
  });

  it('gives bob, a member by his claims, the member view only', async () => {
    const bob = app.caller((await signIn('bob')).access_token);
    expect((await bob.me()).role).toBe('member');
    await expect(bob.secrets.options({})).resolves.toBeInstanceOf(Array);
    const err = await expectTRPCError(bob.secrets.list({}), 'FORBIDDEN');
    expect(err.message).toMatch(/admin role/);
  });

  it('follows a demotion at the provider with the next token', async () => {
    const before = await signIn('alice');
    idp.setClaims('alice', { email: 'alice@acme.test', org: 'acme', roles: ['member'] });
    try {
      const after = await idp.refresh({ clientId: CLIENT_ID, refreshToken: before.refresh_token!, resource: API });
      const alice = app.caller(after.access_token);
      expect((await alice.me()).role).toBe('member');
      await expectTRPCError(alice.secrets.list({}), 'FORBIDDEN');
      const members = await app.caller(app.orgA.adminToken).members.list();
      expect(members.find((m) => m.email === 'alice@acme.test')?.role).toBe('member');
    } finally {
      idp.setClaims('alice', { email: 'alice@acme.test', org: 'acme', roles: ['admin'] });
    }
  });

  it('keeps working across a signing-key rotation: new key fetched on its unknown kid, old key still listed', async () => {
    const old = await signIn('alice');
    const fresh = await idp.rotateKeys();
    const renewed = await signIn('alice');
    expect(decodeProtectedHeader(renewed.access_token).kid).toBe(fresh.kid);
    expect((await app.caller(renewed.access_token).me()).role).toBe('admin');
    expect((await app.caller(old.access_token).me()).role).toBe('admin');
  });

  it('keeps opaque tokens working alongside', async () => {
    expect((await app.caller(app.orgA.adminToken).me()).role).toBe('admin');
    expect((await app.caller(app.orgB.memberToken).me()).org.name).toBe('globex');
  });

  describe('refuses with UNAUTHORIZED and says why', () => {
    const refused = async (token: string, message: RegExp) => {
      const err = await expectTRPCError(app.caller(token).me(), 'UNAUTHORIZED');
      expect(err.message).toMatch(message);
    };

    it('a token of another issuer', async () => {
      const { access_token } = await untrusted.signIn({
        login: 'alice',
        clientId: CLIENT_ID,
        redirectUri: REDIRECT,
        resource: API,
      });
      await refused(access_token, new RegExp(`issuer "${untrusted.issuer}" are not trusted`));
    });
    it('a token for another audience', async () => {
      await refused(
        (await signIn('alice', OTHER_API)).access_token,
        /audience must include "https:\/\/api\.strongroom\.test"/,
      );
    });
    it('an expired token', async () => {
      await refused(await forge({ exp: Math.floor(Date.now() / 1000) - 60 }), /has expired/);
    });
    it('a token not valid yet', async () => {
      await refused(await forge({ nbf: Math.floor(Date.now() / 1000) + 600 }), /not valid yet/);
    });
    it('an unsigned token (alg: none)', async () => {
      const valid = await forge({});
      const [, payload] = valid.split('.');
      const header = base64url.encode(JSON.stringify({ alg: 'none', kid: idp.keys()[0]!.kid }));
      await refused(`${header}.${payload}.`, /algorithm "none" is not accepted/);
    });
    it('an HS256 token whose HMAC key is the public key', async () => {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = idp.keys()[0]!;
      const key = new TextEncoder().encode(JSON.stringify(publicJwk));
      await refused(await forge({}, { alg: 'HS256', kid: publicJwk.kid, key }), /algorithm "HS256" is not accepted/);
    });
    it('a token signed by a key that is not in the JWKS', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const token = await forge({}, { alg: 'RS256', kid: 'not-in-the-jwks', key: privateKey });
      await refused(token, /kid "not-in-the-jwks"\) is not in the JWKS/);
    });
    it('a burst of unknown kids, refetching the JWKS at most once per cooldown', async () => {
      const identity = createIdentityAuthenticator(
        app.deps.db,
        app.deps.events,
        [{ ...app.deps.config.oidcIssuers[0]!, jwksCooldownMs: 60_000 }],
        createAuthThrottle(),
      );
      const jwksFetches = () => idp.requests().filter((path) => path === '/jwks').length;
      const initial = jwksFetches();
      await identity.authenticate(await forge({}));
      const before = jwksFetches();
      expect(before - initial).toBe(1);
      const { privateKey } = await generateKeyPair('RS256');
      for (let i = 0; i < 5; i++) {
        const token = await forge({}, { alg: 'RS256', kid: `unknown-${i}`, key: privateKey });
        await expect(identity.authenticate(token)).rejects.toThrow(/is not in the JWKS/);
      }
      expect(jwksFetches() - before).toBe(0);
    });
    it('a token whose org claim names an org that does not exist', async () => {
      await refused((await signIn('carol')).access_token, /names org "initech", which does not exist/);
    });
    it('a token without an org claim', async () => {
      await refused(await forge({ org: undefined }), /no "org" claim/);
    });
  });

  it('tells the console which provider to sign in with, and lets its page reach that provider', async () => {
    const server = await startTestServer(app);
    try {
      const res = await fetch(`${server.url}/console/config.json`);
      expect(((await res.json()) as { oidc: unknown }).oidc).toEqual({
        issuer: idp.issuer,
        clientId: CLIENT_ID,
        scopes: 'openid email profile',
        resource: API,
      });
      expect(res.headers.get('content-security-policy')).toContain(`connect-src 'self' ${idp.issuer}`);
    } finally {
      await server.close();
    }
  });

  it('lets the typed client call the API over HTTP as the signed-in user', async () => {
    const server = await startTestServer(app);
    try {
      const bob = createStrongroomClient({ url: server.url, token: (await signIn('bob')).access_token });
      expect(await bob.me.query()).toMatchObject({ user: { email: 'bob@acme.test' }, role: 'member' });
      const refused = await bob.secrets.list.query({}).catch((e: unknown) => e);
      expect(isStrongroomError(refused, 'FORBIDDEN')).toBe(true);
      const expired = createStrongroomClient({ url: server.url, token: await forge({ exp: 1 }) });
      const err = await expired.me.query().catch((e: unknown) => e);
      expect(isStrongroomError(err, 'UNAUTHORIZED')).toBe(true);
      expect((err as Error).message).toMatch(/has expired/);
    } finally {
      await server.close();
    }
  });

  // Last: it leaves 127.0.0.1 throttled for a minute.
  it('counts refused JWTs towards the failed-authentication throttle of the client address', async () => {
    const server = await startTestServer(app);
    try {
      const expired = await forge({ exp: 1 });
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        const res = await fetch(`${server.url}/trpc/me`, { headers: { authorization: `Bearer ${expired}` } });
        statuses.push(res.status);
      }
      // Earlier tests of this file may have spent a failure or two of the same address.
      const first429 = statuses.indexOf(429);
      expect(first429).toBeGreaterThan(15);
      expect(statuses.slice(0, first429).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(first429).every((s) => s === 429)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
