import { join } from 'node:path';
import { type OAuthFixture, startOAuthFixture } from '@strongroom/api/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchChromium, screenshotDir } from './support/browser';
import { type ConsoleServer, startConsoleServer } from './support/server';

const missing = browserMissing();

/**
 * An admin connects an MCP server that signs in with OAuth 2.1, end to end in Chromium: the
 * console's form and Connect button, the authorization server's real login page (oidc-provider),
 * Strongroom's callback, and back on the console's page showing the connection.
 */
describe.skipIf(missing !== undefined)('MCP OAuth in the console (Chromium)', () => {
  let server: ConsoleServer;
  let fx: OAuthFixture;
  let browser: Browser;
  let page: Page;
  let shots: string;
  const shoot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });
  const card = () => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'crm-tools' }) });

  beforeAll(async () => {
    shots = screenshotDir();
    [server, fx, browser] = await Promise.all([
      startConsoleServer({ revealSeconds: 2 }),
      startOAuthFixture({ accessTokenTtlSeconds: 300 }),
      launchChromium(),
    ]);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail')
      await shoot(`failed-oauth-${task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    await server?.close();
  });

  it('adds an OAuth MCP server from the form; it shows as not connected', async () => {
    await page.goto(server.url);
    await page.getByLabel('Token', { exact: true }).fill(server.app.orgA.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Secrets' }).waitFor();
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'MCP servers' }).click();
    await page.getByRole('button', { name: 'Add MCP server' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add MCP server' });
    await dialog.getByLabel('Name', { exact: true }).fill('crm-tools');
    await dialog.getByLabel('URL', { exact: true }).fill(fx.mcp.url);
    await dialog.getByLabel(/Sign in with OAuth 2\.1/).check();
    await dialog.getByLabel('Scopes', { exact: true }).fill('tools:read');
    await dialog.getByRole('button', { name: 'Add MCP server' }).click();
    await card().getByText('Not connected').first().waitFor();
    await card().getByRole('button', { name: 'Connect' }).waitFor();
  });

  it('Connect goes to the authorization server’s sign-in and comes back connected, with issuer, scopes and expiry', async () => {
    await card().getByRole('button', { name: 'Connect' }).click();
    await page.waitForURL((url) => url.origin === fx.as.issuer);
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any password');
    await shoot('oauth-01-sign-in-at-authorization-server');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL((url) => url.origin === server.url && url.pathname === '/mcp-servers');
    expect(new URL(page.url()).searchParams.get('oauth')).toBe('connected');
    await page.getByText('“crm-tools” is connected.').waitFor();
    await card().getByText('Connected').first().waitFor();
    await card().getByText(fx.as.issuer).waitFor();
    await card().getByText('tools:read', { exact: true }).waitFor();
    await card().getByRole('button', { name: 'Reconnect' }).waitFor();
    await shoot('oauth-02-connected');
  });

  it('validates with the OAuth access token, then disconnects', async () => {
    await card().getByRole('button', { name: 'Validate' }).click();
    await card()
      .getByText(/Connected: \d+ tools?/)
      .waitFor();
    await card().getByText('echo', { exact: true }).waitFor();
    const revocations = fx.as.revocations;
    await card().getByRole('button', { name: 'Disconnect' }).click();
    await card().getByText('Not connected').first().waitFor();
    expect(fx.as.revocations).toBe(revocations + 1);
  });
});
