import { type OidcTestProvider, startOidcProvider } from '@strongroom/testkit';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchChromium } from './support/browser';
import { type ConsoleServer, startConsoleServer } from './support/server';

const API = 'https://api.strongroom.test';
/** Short-lived access tokens, so the console renews them within the test (at 3/4 of their life). */
const ACCESS_TOKEN_TTL_S = 8;
const CANARY = `sk-oidc-e2e-${Math.random().toString(36).slice(2)}-canary`;
const missing = browserMissing();

const claims = (role: 'admin' | 'member', who: string) => ({ email: `${who}@acme.test`, org: 'acme', roles: [role] });

/**
 * The console signing people in with a real OpenID provider (oidc-provider on 127.0.0.1): alice,
 * admin of acme by her claims, and bob, a member, each in their own browser context.
 */
describe.skipIf(missing !== undefined)('console sign-in with an identity provider, in Chromium', () => {
  let idp: OidcTestProvider;
  let server: ConsoleServer;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  let secretId: string;

  const token = (page: Page) => page.evaluate(() => sessionStorage.getItem('strongroom.token'));
  /** Waits until the console has renewed its access token (a new one is in session storage). */
  const renewed = async (page: Page, from: string | null) => {
    await expect.poll(() => token(page), { timeout: (ACCESS_TOKEN_TTL_S + 5) * 1000, interval: 250 }).not.toBe(from);
    return (await token(page))!;
  };
  /** One tRPC call from the page, with the page's own token: what the console would send next. */
  const callFromPage = (page: Page, path: string, input: unknown) =>
    page.evaluate(
      async ({ path, input }) => {
        const res = await fetch(`/trpc/${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${sessionStorage.getItem('strongroom.token')}`,
          },
          body: JSON.stringify(input),
        });
        return { status: res.status, body: await res.text() };
      },
      { path, input },
    );

  async function signIn(page: Page, login: string) {
    await page.goto(server.url);
    await page.getByRole('button', { name: `Sign in with ${new URL(idp.issuer).host}` }).click();
    await page.waitForURL(`${idp.issuer}/**`);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByTestId('org-name').waitFor();
    expect(page.url().startsWith(server.url)).toBe(true);
    expect(page.url()).not.toContain('code=');
  }

  beforeAll(async () => {
    [idp, browser] = await Promise.all([
      startOidcProvider({
        clients: [],
        accounts: { alice: claims('admin', 'alice'), bob: claims('member', 'bob') },
        resources: { [API]: { accessTokenTtl: ACCESS_TOKEN_TTL_S } },
      }),
      launchChromium(),
    ]);
    server = await startConsoleServer({
      revealSeconds: 30,
      env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: API, OIDC_CLIENT_ID: 'console', OIDC_JWKS_COOLDOWN_MS: '0' },
    });
    idp.addClient({
      client_id: 'console',
      token_endpoint_auth_method: 'none',
      redirect_uris: [`${server.url}/auth/callback`],
      grant_types: ['authorization_code', 'refresh_token'],
    });
    const admin = server.app.caller(server.app.orgA.adminToken);
    secretId = (await admin.secrets.create({ name: 'oidc-revealed', value: CANARY, scope: 'org' })).id;
    const newPage = async () => {
      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(15_000);
      page.on('console', (m) => m.type() === 'error' && console.error(`[browser] ${m.text()}`));
      return page;
    };
    [alice, bob] = await Promise.all([newPage(), newPage()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await idp?.close();
  });

  it('offers the identity provider and the token sign-in on the first screen', async () => {
    await alice.goto(server.url);
    await alice.getByRole('button', { name: `Sign in with ${new URL(idp.issuer).host}` }).waitFor();
    await alice.getByLabel('Token', { exact: true }).waitFor();
  });

  it('signs alice in through the provider (code + PKCE) as admin of acme, and she reveals a secret', async () => {
    await signIn(alice, 'alice');
    expect(await alice.getByTestId('org-name').textContent()).toBe('acme');
    expect(decodeJwt((await token(alice))!)).toMatchObject({ sub: 'alice', aud: API, iss: idp.issuer });
    expect(await alice.evaluate(() => localStorage.length)).toBe(0);
    await alice.goto(`${server.url}/secrets/${secretId}`);
    await alice.getByRole('button', { name: 'Reveal…' }).click();
    await alice.getByRole('dialog').getByRole('button', { name: 'Reveal value' }).click();
    await expect.poll(() => alice.getByTestId('revealed-value').textContent()).toBe(CANARY);
  });

  it('signs bob in as a member: the restricted view, and admin calls refused', async () => {
    await signIn(bob, 'bob');
    await bob.getByRole('heading', { name: 'Providers' }).waitFor();
    const links = await bob.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
    expect(links).toEqual(['Providers', 'Agents', 'MCP servers', 'API docs']);
    expect((await callFromPage(bob, 'secrets.reveal', { id: secretId })).status).toBe(403);
  });

  it('keeps both signed in after the provider rotates its signing key', async () => {
    const [aliceBefore, bobBefore] = [await token(alice), await token(bob)];
    const fresh = await idp.rotateKeys();
    const [aliceAfter, bobAfter] = await Promise.all([renewed(alice, aliceBefore), renewed(bob, bobBefore)]);
    expect(decodeProtectedHeader(aliceAfter).kid).toBe(fresh.kid);
    expect(decodeProtectedHeader(bobAfter).kid).toBe(fresh.kid);
    const reveal = await callFromPage(alice, 'secrets.reveal', { id: secretId });
    expect(reveal.status).toBe(200);
    expect(reveal.body).toContain(CANARY);
    await bob.reload();
    await bob.getByRole('heading', { name: 'Providers' }).waitFor();
  });

  it('refuses alice admin actions once her role claim drops to member, with her next token', async () => {
    idp.setClaims('alice', claims('member', 'alice'));
    await renewed(alice, await token(alice));
    const refused = await callFromPage(alice, 'secrets.reveal', { id: secretId });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('needs the org admin role');
    expect(refused.body).not.toContain(CANARY);
    // The console reloads what is on screen with the new token: the admin pages go away.
    await expect
      .poll(() => alice.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents())
      .toEqual(['Providers', 'Agents', 'MCP servers', 'API docs']);
  });

  it('asks bob to sign in again when his session can no longer be renewed', async () => {
    await bob.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('strongroom.oidc.session')!);
      sessionStorage.setItem(
        'strongroom.oidc.session',
        JSON.stringify({ ...session, refreshToken: 'revoked-at-the-provider' }),
      );
    });
    await bob.reload();
    await bob
      .getByText('Your sign-in has expired. Sign in again.')
      .waitFor({ timeout: (ACCESS_TOKEN_TTL_S + 5) * 1000 });
    expect(await token(bob)).toBeNull();
  });

  it('signs out: the tokens are forgotten and the first screen is back', async () => {
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.getByRole('button', { name: `Sign in with ${new URL(idp.issuer).host}` }).waitFor();
    expect(await alice.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
  });
});
