import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcTestProvider, startOidcProvider } from './oidc-provider';

const API = 'https://api.strongroom.test';
const CLIENT = { client_id: 'console', redirect_uri: 'http://127.0.0.1:9/callback' };

describe('startOidcProvider', () => {
  let idp: OidcTestProvider;
  beforeAll(async () => {
    idp = await startOidcProvider({
      clients: [
        {
          client_id: CLIENT.client_id,
          token_endpoint_auth_method: 'none',
          redirect_uris: [CLIENT.redirect_uri],
          grant_types: ['authorization_code', 'refresh_token'],
        },
      ],
      accounts: { alice: { email: 'alice@acme.test', org: 'acme', roles: ['admin'] } },
      resources: { [API]: { scope: 'secrets' } },
    });
  });
  afterAll(() => idp?.close());

  const verify = (token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), { issuer: idp.issuer, audience: API });

  it('signs a user in with code + PKCE and issues a JWT access token for the resource with their claims', async () => {
    const tokens = await idp.signIn({ login: 'alice', clientId: CLIENT.client_id, redirectUri: CLIENT.redirect_uri });
    const { payload } = await verify(tokens.access_token);
    expect(payload).toMatchObject({ sub: 'alice', org: 'acme', roles: ['admin'], client_id: 'console' });
    expect(tokens.refresh_token).toBeTypeOf('string');
  });

  it('puts changed claims in the next token, and signs with the new key after a rotation', async () => {
    const first = await idp.signIn({ login: 'alice', clientId: CLIENT.client_id, redirectUri: CLIENT.redirect_uri });
    idp.setClaims('alice', { email: 'alice@acme.test', org: 'acme', roles: ['member'] });
    const rotated = await idp.rotateKeys();
    const renewed = await idp.refresh({ clientId: CLIENT.client_id, refreshToken: first.refresh_token! });
    expect(decodeProtectedHeader(renewed.access_token).kid).toBe(rotated.kid);
    expect((await verify(renewed.access_token)).payload.roles).toEqual(['member']);
    expect(idp.keys().map((k) => k.kid)).toHaveLength(2);
  });
});
