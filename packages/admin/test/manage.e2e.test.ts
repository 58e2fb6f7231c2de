import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchChromium, screenshotDir } from './support/browser';
import { checkAndShoot, VIEWPORTS } from './support/layout';
import { type ConsoleServer, startConsoleServer } from './support/server';

const missing = browserMissing();
const CONFIG = (gateway: string) => ({ accountId: '0123456789abcdef0123456789abcdef', gateway });

/**
 * Groups, a member's lost token, the secret page's versions and grants, deleting what is in use,
 * the audit log's names and runtime rows, and every page at a laptop's and a phone's width: an
 * admin's session in Chromium against the real server, on data the API seeded.
 */
describe.skipIf(missing !== undefined)('managing groups, members and the console at any width', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let shots: string;
  let admin: ReturnType<ConsoleServer['app']['caller']>;
  const ids: Record<string, string> = {};
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });

  beforeAll(async () => {
    shots = screenshotDir();
    [server, browser] = await Promise.all([startConsoleServer({ revealSeconds: 30 }), launchChromium()]);
    admin = server.app.caller(server.app.orgA.adminToken);
    const crm = await admin.secrets.create({ name: 'crm-api-key', value: 'crm-v1', scope: 'org' });
    await admin.secrets.update({ id: crm.id, value: 'crm-v2' });
    await admin.secrets.update({ id: crm.id, value: 'crm-v3' });
    const key = await admin.secrets.create({ name: 'openai-production-key', value: 'sk-openai', scope: 'agent' });
    const eu = await admin.providers.create({
      name: 'OpenAI',
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: key.id,
      config: CONFIG('gw-eu'),
    });
    await admin.providers.create({
      name: 'OpenAI',
      providerType: 'cloudflare-ai-gateway',
      kind: 'openai',
      secretRef: key.id,
      config: CONFIG('gw-us'),
    });
    const agent = await admin.agents.create({ name: 'support-bot', providerId: eu.id, modelId: 'gpt-5.2' });
    // The runtime reads the key a few times: rows the audit page hides by default.
    const worker = server.app.caller(server.app.orgA.workerToken);
    for (let i = 0; i < 3; i++)
      await worker.internal.resolveSecret({ orgId: server.app.orgA.orgId, secretId: key.id, agentId: agent.id });
    Object.assign(ids, { crm: crm.id, key: key.id });

    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => message.type() === 'error' && console.error(`[browser] ${message.text()}`));
    await page.goto(server.url);
    await page.getByLabel('Token', { exact: true }).fill(server.app.orgA.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Secrets' }).waitFor();
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail')
      await page.screenshot({ path: `${shots}/failed-${task.name.replace(/\W+/g, '-')}.png` }).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('creates and renames a group, and lists the secrets granted to it', async () => {
    await nav('Groups').click();
    await page.getByText('No groups yet.').waitFor();
    await page.getByRole('button', { name: 'New group' }).click();
    let dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Name', { exact: true }).fill('support');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('rowheader', { name: 'support' }).waitFor();
    await page.getByRole('button', { name: 'Rename' }).click();
    dialog = page.getByRole('dialog', { name: 'Rename “support”' });
    await dialog.getByLabel('Name', { exact: true }).fill('support-eu');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('rowheader', { name: 'support-eu' }).waitFor();

    // The grant form on the secret's page offers the group by its new name.
    await page.goto(`${server.url}/secrets/${ids.crm}`);
    await page.getByLabel('Chat', { exact: true }).selectOption({ label: 'support-eu' });
    await page.getByRole('button', { name: 'Add grant' }).click();
    await page.getByText('Chat support-eu').waitFor();
    await nav('Groups').click();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'support-eu' }) });
    await row.getByRole('link', { name: 'default/crm-api-key' }).waitFor();
  });

  it('disables Delete while secrets are granted to a group and says why; deletes it once they are not', async () => {
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “support-eu”' });
    await dialog.getByRole('link', { name: 'default/crm-api-key' }).waitFor();
    const confirm = dialog.getByRole('button', { name: 'Delete group' });
    expect(await confirm.isDisabled()).toBe(true);
    const reason = dialog.getByText('Delete is disabled while secrets are granted to this group.');
    expect(await confirm.getAttribute('aria-describedby')).toBe(await reason.getAttribute('id'));
    await page.screenshot({ path: `${shots}/10-group-delete-blocked.png` });
    await page.keyboard.press('Escape');

    await page.getByRole('link', { name: 'default/crm-api-key' }).click();
    await page.getByRole('heading', { name: 'crm-api-key' }).waitFor();
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('No grants yet.').waitFor();
    await nav('Groups').click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('dialog', { name: 'Delete “support-eu”' })
      .getByRole('button', { name: 'Delete group' })
      .click();
    await page.getByText('No groups yet.').waitFor();
    expect(await admin.groups.list()).toEqual([]);
  });

  it('issues a member a new token, shown once, and revokes the lost one', async () => {
    const lost = server.app.orgA.memberToken;
    await nav('Members').click();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /member@acme\.test/ }) });
    await row.getByRole('button', { name: 'Tokens…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tokens of member@acme.test' });
    await dialog.getByLabel('Name (optional)', { exact: true }).fill('new laptop');
    const nextWeek = new Date(Date.now() + 7 * 86_400_000);
    const local = new Date(nextWeek.getTime() - nextWeek.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await dialog.getByLabel('Expires (optional)', { exact: true }).fill(local);
    await dialog.getByRole('button', { name: 'Issue token' }).click();
    const token = (await dialog.getByTestId('shown-once').textContent())!;
    expect(token).toMatch(/^sru_/);
    expect((await server.app.caller(token).me()).user.email).toBe('member@acme.test');
    await page.screenshot({ path: `${shots}/11-member-token.png` });

    const listed = dialog.getByRole('listitem').filter({ hasText: 'new laptop' });
    await listed.getByText(/expires/).waitFor();
    const old = dialog.getByRole('listitem').filter({ hasText: 'first token of member@acme.test' });
    await old.getByRole('button', { name: 'Revoke' }).click();
    await page
      .getByRole('dialog', { name: /^Revoke/ })
      .getByRole('button', { name: 'Revoke token' })
      .click();
    await old.getByText('revoked').waitFor();
    await expect(server.app.caller(lost).me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await server.app.caller(token).me()).role).toBe('member');
    await dialog.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(token);
  });

  it('shows an expired token as expired, and the server refuses it', async () => {
    const brief = await admin.members.issueToken({
      userId: server.app.orgA.memberUserId,
      name: 'brief',
      expiresAt: new Date(Date.now() + 1_000).toISOString(),
    });
    await new Promise((r) => setTimeout(r, 1_200));
    await expect(server.app.caller(brief.token).me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // A fresh load: the list on screen was fetched before the API issued this token.
    await page.goto(`${server.url}/tokens`);
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'brief' }) });
    await row.getByText('expired', { exact: true }).waitFor();
    expect(await row.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
  });

  it('keeps the Versions card whole, and drops a revealed value when a rollback changes the version', async () => {
    await page.goto(`${server.url}/secrets/${ids.crm}`);
    const card = page.getByRole('region', { name: 'Versions' });
    for (const v of [1, 2]) await card.getByRole('button', { name: `Roll back to v${v}` }).waitFor();
    const box = (await card.boundingBox())!;
    for (const button of await card.getByRole('button').all()) {
      const b = (await button.boundingBox())!;
      expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width);
    }
    // Each date on one line: no taller than its row's text.
    for (const time of await card.locator('time').all()) expect((await time.boundingBox())!.height).toBeLessThan(30);

    await page.getByRole('button', { name: 'Reveal…' }).click();
    await page
      .getByRole('dialog', { name: 'Reveal “crm-api-key”' })
      .getByRole('button', { name: 'Reveal value' })
      .click();
    await expect.poll(() => page.getByTestId('revealed-value').textContent()).toBe('crm-v3');
    await card.getByRole('button', { name: 'Roll back to v1' }).click();
    await page
      .getByRole('dialog', { name: 'Roll back to v1' })
      .getByRole('button', { name: 'Roll back to v1' })
      .click();
    await card.getByText('v4', { exact: true }).waitFor();
    await page.getByTestId('revealed-value').waitFor({ state: 'detached' });
    await page.getByLabel('value hidden', { exact: true }).waitFor();
    expect(await page.content()).not.toContain('crm-v3');
  });

  it('offers no grant form on an agent-scope secret, and disables Delete while a provider uses it', async () => {
    await page.goto(`${server.url}/secrets/${ids.key}`);
    const grants = page.getByRole('region', { name: 'Grants' });
    await grants.getByText('grants add nothing to that').waitFor();
    expect(await grants.getByRole('button', { name: 'Add grant' }).count()).toBe(0);
    expect(await grants.getByRole('combobox').count()).toBe(0);

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “openai-production-key”' });
    await dialog.getByText('Delete is disabled while anything above still uses this secret.').waitFor();
    expect(await dialog.getByRole('button', { name: 'Delete secret' }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
  });

  it('tells providers of the same name apart by kind and gateway', async () => {
    await nav('Agents').click();
    await page.getByRole('cell', { name: 'openai · OpenAI · gw-eu' }).waitFor();
    await page.getByRole('button', { name: 'New agent' }).click();
    const options = await page
      .getByRole('dialog', { name: 'New agent' })
      .getByLabel('Provider', { exact: true })
      .locator('option')
      .allTextContents();
    expect(options).toEqual(expect.arrayContaining(['openai · OpenAI · gw-eu', 'openai · OpenAI · gw-us']));
    await page.keyboard.press('Escape');
  });

  it('names audit targets, and hides the runtime’s reads until asked', async () => {
    await nav('Audit log').click();
    const actions = page.locator('table.audit tbody th code');
    await actions.first().waitFor();
    expect(await actions.allTextContents()).not.toContain('secret.access');
    await page.getByRole('button', { name: 'default/crm-api-key' }).first().waitFor();
    await page.getByRole('button', { name: 'member@acme.test' }).first().waitFor();
    await page.getByLabel('Show runtime access').check();
    await expect
      .poll(async () => (await actions.allTextContents()).filter((a) => a === 'secret.access').length)
      .toBe(3);
    await page.getByLabel('Show runtime access').uncheck();
    await expect.poll(() => actions.allTextContents()).not.toContain('secret.access');
  });

  it('fits every page at 1280×800 and 390×844, with no sideways scrolling and no clipped button', async () => {
    const paths = await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')!).filter((href) => href !== '/docs'));
    expect(paths).toContain('/groups');
    // Something on the Groups page for its pictures: a chat with a secret granted.
    const sales = await admin.groups.create({ name: 'sales' });
    await admin.grants.add({ secretId: ids.crm!, granteeType: 'group', granteeId: sales.id });
    paths.splice(1, 0, `/secrets/${ids.crm}`);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const path of paths) {
        await page.goto(`${server.url}${path}`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await expect.poll(() => page.getByText('Loading…').count()).toBe(0);
        const name = path.startsWith('/secrets/') ? 'secret' : path.slice(1);
        await checkAndShoot(page, shots, `page-${name}-${viewport.name}`);
      }
    }
    await page.setViewportSize(VIEWPORTS[0]);
  });
});
