import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, launchChromium, screenshotDir } from './support/browser';
import { type ConsoleServer, startConsoleServer } from './support/server';

const missing = browserMissing();
const CANARY = `imported-${Math.random().toString(36).slice(2)}-canary`;

/**
 * Bringing secrets in and keeping them write-only, in Chromium against the real server: an
 * admin pastes a .env file, previews new, changed and unchanged names, applies it; then makes
 * one secret write-only and sees that it can no longer be revealed.
 */
describe.skipIf(missing !== undefined)('secrets import and write-only secrets in the console (Chromium)', () => {
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let shots: string;
  const shoot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });
  const preview = () => page.getByRole('table', { name: 'Import preview' });
  const statusOf = (name: string) =>
    preview()
      .getByRole('row', { name: new RegExp(`^${name} `) })
      .locator('td');

  beforeAll(async () => {
    shots = screenshotDir();
    [server, browser] = await Promise.all([startConsoleServer({ revealSeconds: 2 }), launchChromium()]);
    const admin = server.app.caller(server.app.orgA.adminToken);
    await admin.secrets.create({ name: 'SAME', value: 'same', scope: 'agent' });
    await admin.secrets.create({ name: 'OLD', value: 'before', scope: 'agent' });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => message.type() === 'error' && console.error(`[browser] ${message.text()}`));
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail')
      await shoot(`failed-import-${task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('previews a pasted .env file as new, changed and unchanged, then applies it', async () => {
    await page.goto(server.url);
    await page.getByLabel('Token', { exact: true }).fill(server.app.orgA.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Secrets' }).waitFor();
    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import secrets' });
    await dialog.getByLabel('Content', { exact: true }).fill(`NEW_KEY=${CANARY}\nSAME=same\nOLD=after\n`);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await preview().waitFor();
    expect(await statusOf('NEW_KEY').textContent()).toBe('new');
    expect(await statusOf('SAME').textContent()).toBe('unchanged');
    expect(await statusOf('OLD').textContent()).toBe('changed, conflict');
    // Refusing changed names is the default: Apply waits until the admin chooses.
    expect(await dialog.getByRole('button', { name: /Apply import/ }).isDisabled()).toBe(true);
    await dialog.getByLabel('When a name exists with another value', { exact: true }).selectOption('update');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => statusOf('OLD').textContent()).toBe('changed');
    await shoot('import-preview');

    await dialog.getByRole('button', { name: 'Apply import (3)' }).click();
    await dialog.getByText('Imported: 1 new, 1 updated, 1 unchanged, 0 kept as they were.').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('link', { name: 'NEW_KEY' }).waitFor();
    // The pasted content lived in the dialog only; it is gone with it.
    expect(await page.content()).not.toContain(CANARY);
    const admin = server.app.caller(server.app.orgA.adminToken);
    const old = (await admin.secrets.list({ search: 'OLD' })).items[0]!;
    expect(await admin.secrets.reveal({ id: old.id })).toMatchObject({ version: 2, value: 'after' });
  });

  it('makes a secret write-only after a confirmation and shows it plainly, with no Reveal', async () => {
    await page.getByRole('link', { name: 'NEW_KEY' }).click();
    await page.getByRole('heading', { name: 'NEW_KEY' }).waitFor();
    await page.getByRole('button', { name: 'Reveal…' }).waitFor();
    await page.getByRole('button', { name: 'Make write-only…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Make “NEW_KEY” write-only' });
    await confirm.getByText('This cannot be undone.').waitFor();
    await confirm.getByRole('button', { name: 'Make write-only' }).click();
    await page.getByText(/nobody can reveal or export it/).waitFor();
    expect(await page.getByRole('button', { name: 'Reveal…' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Make write-only…' }).count()).toBe(0);
    await shoot('write-only-secret');

    await page.getByRole('link', { name: '← Secrets' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'NEW_KEY' }) });
    await row.getByText('write-only').waitFor();
    expect(await page.content()).not.toContain(CANARY);
  });
});
