import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchChromium, screenshotDir } from './support/browser';
import { startMcpServer, type TestMcpServer } from './support/mcp';
import { type ConsoleServer, startConsoleServer } from './support/server';

const REVEAL_SECONDS = 2;
const CANARY = `sk-e2e-${Math.random().toString(36).slice(2)}-canary`;
const missing = browserMissing();

/**
 * The console in Chromium against the real server: what an admin does from sign-in to the audit
 * log, and what a member may not do. The steps run in order on one page, like a person would.
 */
describe.skipIf(missing !== undefined)('admin console in Chromium', () => {
  let server: ConsoleServer;
  let mcp: TestMcpServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shots: string;
  const shoot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name });

  beforeAll(async () => {
    shots = screenshotDir();
    [server, mcp, browser] = await Promise.all([
      startConsoleServer({ revealSeconds: REVEAL_SECONDS }),
      startMcpServer(),
      launchChromium(),
    ]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => message.type() === 'error' && console.error(`[browser] ${message.text()}`));
  });
  // A failed step leaves a picture of the page behind, next to the screenshots.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await shoot(`failed-${task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await mcp?.close();
    await server?.close();
  });

  it('signs an admin in by keyboard, keeping the token out of the URL', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Strongroom' }).isVisible()).toBe(true);
    await page.getByLabel('Token', { exact: true }).fill('not-a-token');
    await page.keyboard.press('Enter');
    await page.getByText('This token is not valid').waitFor();
    await shoot('01-sign-in');

    await page.getByLabel('Token', { exact: true }).fill(server.app.orgA.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Secrets' }).waitFor();
    expect(page.url()).toBe(`${server.url}/secrets`);
    expect(await page.getByTestId('org-name').textContent()).toBe('acme');
    expect(await page.evaluate(() => sessionStorage.getItem('strongroom.token'))).toBe(server.app.orgA.adminToken);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it('shows a field error next to its field, then creates secrets', async () => {
    await page.getByRole('button', { name: 'New secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'New secret' });
    await dialog.getByLabel('Name', { exact: true }).fill('bad name!');
    await dialog.getByLabel('Value', { exact: true }).fill(CANARY);
    await dialog.getByRole('button', { name: 'Create secret' }).click();
    await expect.poll(() => dialog.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await dialog.getByText('may contain only letters').waitFor();

    await dialog.getByLabel('Name', { exact: true }).fill('openai-key');
    await dialog.getByLabel('Description', { exact: true }).fill('BYOK key for the AI Gateway');
    await dialog.getByRole('button', { name: 'Create secret' }).click();
    await page.getByRole('heading', { name: 'openai-key' }).waitFor();

    await nav('Secrets').click();
    await page.getByRole('button', { name: 'New secret' }).click();
    await dialog.getByLabel('Name', { exact: true }).fill('mcp-token');
    await dialog.getByLabel('Value', { exact: true }).fill(mcp.token);
    await dialog.getByRole('button', { name: 'Create secret' }).click();
    await page.getByRole('heading', { name: 'mcp-token' }).waitFor();
    await nav('Secrets').click();
    await page.getByRole('link', { name: 'openai-key' }).waitFor();
    expect(await page.content()).not.toContain(CANARY);
    await shoot('02-secrets');
  });

  it('reveals a value with a reason, then masks it again after the timeout', async () => {
    await page.getByRole('link', { name: 'openai-key' }).click();
    await page.getByRole('button', { name: 'Reveal…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reveal “openai-key”' });
    await dialog.getByLabel('Reason (optional)', { exact: true }).fill('e2e check');
    await dialog.getByRole('button', { name: 'Reveal value' }).click();
    await expect.poll(() => page.getByTestId('revealed-value').textContent()).toBe(CANARY);
    await shoot('03-reveal');
    await page.getByTestId('revealed-value').waitFor({ state: 'detached', timeout: (REVEAL_SECONDS + 3) * 1_000 });
    await page.getByLabel('value hidden', { exact: true }).waitFor();
    expect(await page.content()).not.toContain(CANARY);
  });

  it('creates a provider whose key is picked from the attachable secrets', async () => {
    await nav('Providers').click();
    await page.getByRole('button', { name: 'New provider' }).click();
    const dialog = page.getByRole('dialog', { name: 'New provider' });
    await dialog.getByLabel('Name', { exact: true }).fill('OpenAI (prod)');
    await dialog.getByLabel('Kind', { exact: true }).selectOption('openai');
    await dialog.getByLabel('Provider key', { exact: true }).selectOption({ label: 'default/openai-key' });
    await dialog.getByLabel('Cloudflare account id', { exact: true }).fill('acct-e2e');
    await dialog.getByLabel('AI Gateway name', { exact: true }).fill('gw-e2e');
    await dialog.getByRole('button', { name: 'Create provider' }).click();
    // A nested field's error (config.accountId) lands next to that field too.
    await expect
      .poll(() => dialog.getByLabel('Cloudflare account id', { exact: true }).getAttribute('aria-invalid'))
      .toBe('true');
    await dialog.getByLabel('Cloudflare account id', { exact: true }).fill('0123456789abcdef0123456789abcdef');
    await dialog.getByRole('button', { name: 'Create provider' }).click();
    await page.getByRole('rowheader', { name: 'OpenAI (prod)' }).waitFor();
    await shoot('04-providers');
  });

  it('creates an agent only once a provider is picked, showing the kind/model id', async () => {
    await nav('Agents').click();
    await page.getByRole('button', { name: 'New agent' }).click();
    const dialog = page.getByRole('dialog', { name: 'New agent' });
    await dialog.getByLabel('Name', { exact: true }).fill('support-bot');
    await dialog.getByLabel('Model id', { exact: true }).fill('gpt-5.2');
    await dialog.getByRole('button', { name: 'Create agent' }).click();
    expect(
      await dialog
        .getByLabel('Provider', { exact: true })
        .evaluate((el) => (el as HTMLSelectElement).validity.valueMissing),
    ).toBe(true);
    await dialog.getByLabel('Provider', { exact: true }).selectOption({ label: 'openai · OpenAI (prod) · gw-e2e' });
    await expect.poll(() => dialog.getByTestId('model-preview').textContent()).toBe('openai/gpt-5.2');
    await shoot('05-agent-form');
    await dialog.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('cell', { name: 'openai/gpt-5.2' }).waitFor();
  });

  it('adds an MCP server with a secret and validates it against a real MCP server', async () => {
    await nav('MCP servers').click();
    await page.getByRole('button', { name: 'Add MCP server' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add MCP server' });
    await dialog.getByLabel('Name', { exact: true }).fill('support-tools');
    await dialog.getByLabel('URL', { exact: true }).fill(mcp.url);
    await dialog.getByLabel('Bearer token', { exact: true }).selectOption({ label: 'default/mcp-token' });
    await dialog.getByRole('button', { name: 'Add MCP server' }).click();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'support-tools' }) });
    await card.getByRole('button', { name: 'Validate' }).click();
    await card.getByText(/Connected: \d+ tools?/).waitFor();
    for (const tool of mcp.toolNames) await card.getByText(tool, { exact: true }).waitFor();
    await shoot('06-mcp-validate');
  });

  it('will not delete a secret a provider uses, and says which one and why', async () => {
    await nav('Secrets').click();
    await page.getByRole('link', { name: 'openai-key' }).click();
    await page.getByRole('link', { name: 'provider “OpenAI (prod)”' }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “openai-key”' });
    await dialog.getByRole('link', { name: 'provider “OpenAI (prod)”' }).waitFor();
    await dialog.getByText('Delete is disabled while anything above still uses this secret.').waitFor();
    expect(await dialog.getByRole('button', { name: 'Delete secret' }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'openai-key' }).waitFor();
  });

  it('finds every step in the audit log, newest first, with an intact chain', async () => {
    await nav('Audit log').click();
    const actions = page.locator('table.audit tbody th code');
    await actions.first().waitFor();
    const seen = await actions.allTextContents();
    for (const action of [
      'secret.create',
      'secret.reveal',
      'provider.create',
      'agent.create',
      'mcp.create',
      'mcp.validate',
    ]) {
      expect(seen).toContain(action);
    }
    expect(seen.indexOf('mcp.validate')).toBeLessThan(seen.indexOf('secret.create'));
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText(/Chain intact · \d+ events checked/).waitFor();
    await shoot('07-audit');

    await page.getByLabel('Action', { exact: true }).selectOption('secret.reveal');
    await expect.poll(() => actions.allTextContents()).toEqual(['secret.reveal']);
    await page.getByText('reason=e2e check').waitFor();
  });

  it('shows a new token once, with a working copy button', async () => {
    await nav('Tokens').click();
    await page.getByRole('button', { name: 'New token' }).click();
    const dialog = page.getByRole('dialog', { name: 'New token' });
    await dialog.getByLabel('Name', { exact: true }).fill('ci');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const token = await dialog.getByTestId('shown-once').textContent();
    expect(token).toMatch(/^sru_/);
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('rowheader', { name: 'ci' }).waitFor();
    expect(await page.content()).not.toContain(token!);
  });

  it('opens the browsable API from the console, served by this server under its CSP', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await nav('API docs').click();
    // Swagger UI parses the whole document before it draws anything: slow on a loaded machine.
    await page.getByRole('heading', { name: /Strongroom API/ }).waitFor({ timeout: 30_000 });
    await page.getByText('/secrets.reveal', { exact: true }).waitFor();
    expect(errors).toEqual([]);
    await shoot('09-api-docs');
    await page.goBack();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
  });

  it('fits a narrow window without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav('Secrets').click();
    await page.getByRole('link', { name: 'openai-key' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shoot('08-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out and forgets the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token', { exact: true }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('strongroom.token'))).toBeNull();
  });

  it('shows a member no secrets, no reveal and no mutation they would be refused', async () => {
    await page.getByLabel('Token', { exact: true }).fill(server.app.orgA.memberToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Providers' }).waitFor();
    const links = await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
    expect(links).toEqual(['Providers', 'Agents', 'MCP servers', 'API docs']);
    await page.getByRole('rowheader', { name: 'OpenAI (prod)' }).waitFor();
    expect(await page.getByRole('button', { name: /New provider|Edit|Delete/ }).count()).toBe(0);

    await page.goto(`${server.url}/secrets`);
    await page.getByRole('heading', { name: 'Providers' }).waitFor();
    expect(page.url()).toBe(`${server.url}/providers`);

    await nav('MCP servers').click();
    await page.getByRole('heading', { name: 'support-tools' }).waitFor();
    expect(await page.getByRole('button', { name: /Validate|Add MCP server|Edit|Delete/ }).count()).toBe(0);

    await nav('Agents').click();
    await page.getByRole('button', { name: 'New agent' }).waitFor();
    expect(await page.getByRole('button', { name: /Reveal/ }).count()).toBe(0);
    expect(await page.content()).not.toContain(CANARY);
  });

  it('ends the session with a reason when the member is removed meanwhile', async () => {
    await server.app.caller(server.app.orgA.adminToken).members.remove({ userId: server.app.orgA.memberUserId });
    // A request of the page being left may be the one that finds the token revoked: the reason
    // must survive the reload either way.
    await page.reload();
    await page.getByText('Your session ended').waitFor();
    await page.getByLabel('Token', { exact: true }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('strongroom.token'))).toBeNull();
    await page.reload();
    await page.getByText('Your session ended').waitFor();
  });
});
