import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';
import { consoleSignIn } from './identity-config';

const load = (env: Record<string, string>) => () => loadConfig({ DATA_DIR: '/tmp/sr-config-test', ...env });

describe('identity provider configuration', () => {
  it('reads one issuer with its claim mapping from OIDC_* variables', () => {
    const config = load({
      OIDC_ISSUER: 'https://idp.example.com',
      OIDC_AUDIENCE: 'strongroom',
      OIDC_CLIENT_ID: 'console',
      OIDC_ORG_CLAIM: 'https://platform.example.com/org',
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      OIDC_ADMIN_VALUES: 'owner, admin',
    })();
    expect(config.oidcIssuers).toMatchObject([
      {
        issuer: 'https://idp.example.com',
        audience: 'strongroom',
        orgClaim: 'https://platform.example.com/org',
        orgMatch: 'name',
        rolesClaim: 'realm_access.roles',
        adminValues: ['owner', 'admin'],
        jwksCooldownMs: 30_000,
      },
    ]);
    expect(consoleSignIn(config.oidcIssuers)).toEqual({
      issuer: 'https://idp.example.com',
      clientId: 'console',
      scopes: 'openid email profile',
      resource: 'strongroom',
    });
  });

  it('reads several issuers from OIDC_ISSUERS', () => {
    const config = load({
      OIDC_ISSUERS: JSON.stringify([
        { issuer: 'https://idp.example.com', audience: 'strongroom', clientId: 'console' },
        {
          issuer: 'https://platform.example.com',
          audience: 'strongroom',
          orgMatch: 'id',
          algorithms: ['ES256'],
          jwksUri: 'https://platform.example.com/keys',
        },
      ]),
    })();
    expect(config.oidcIssuers.map((i) => i.issuer)).toEqual([
      'https://idp.example.com',
      'https://platform.example.com',
    ]);
    expect(load({})().oidcIssuers).toEqual([]);
    expect(consoleSignIn([])).toBeNull();
  });

  it.each([
    [{ OIDC_ISSUER: 'https://idp.example.com' }, /OIDC_AUDIENCE/],
    [{ OIDC_ISSUER: 'http://idp.example.com', OIDC_AUDIENCE: 'a' }, /OIDC_ISSUER: must be an https URL/],
    [{ OIDC_ISSUER: 'https://idp.example.com', OIDC_AUDIENCE: 'a', OIDC_ALGORITHMS: 'HS256' }, /OIDC_ALGORITHMS/],
    [{ OIDC_ISSUER: 'https://idp.example.com', OIDC_AUDIENCE: 'a', OIDC_ALGORITHMS: 'none' }, /OIDC_ALGORITHMS/],
    [{ OIDC_ISSUER: 'https://idp.example.com', OIDC_AUDIENCE: 'a', OIDC_ORG_MATCH: 'email' }, /OIDC_ORG_MATCH/],
    [{ OIDC_ISSUERS: '[{"issuer": "https://a.example"' }, /OIDC_ISSUERS: must be a JSON array/],
    [{ OIDC_ISSUERS: '[{"issuer": "https://a.example"}]' }, /OIDC_ISSUERS\[0\.audience\]/],
    [{ OIDC_ISSUERS: '[{"issuer": "https://a.example", "audience": "a", "extra": 1}]' }, /OIDC_ISSUERS\[0\]/],
    [
      { OIDC_ISSUERS: '[{"issuer":"https://a.example","audience":"a"},{"issuer":"https://a.example","audience":"b"}]' },
      /listed twice/,
    ],
    [{ OIDC_ISSUERS: '[{"issuer":"https://a.example","audience":"a"}]', OIDC_ISSUER: 'https://b.example' }, /not both/],
  ])('fails at start, naming the variable: %j', (env, message) => {
    expect(load(env)).toThrow(ConfigError);
    expect(load(env)).toThrow(message);
  });
});
