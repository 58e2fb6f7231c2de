import { browserMissing, launchChromium } from '@strongroom/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../src/router';
import { panelTree, type PanelProcedure, type PanelRouter } from '../src/trpc-ui/tree';
import { createTestApp, startTestServer, type TestApp } from './support/harness';

/** The tRPC UI at /trpc-ui, driven in Chromium against the real server. */
const missing = browserMissing();

/** Every procedure of the router with the top-level fields of its input, as the panel is fed them. */
function expectedForms(): Map<string, string[]> {
  const forms = new Map<string, string[]>();
  const walk = (node: PanelRouter | PanelProcedure) => {
    if (node.nodeType === 'router') return Object.values(node.children).forEach(walk);
    forms.set(node.pathFromRootRouter.join('.'), Object.keys(node.inputSchema.properties ?? {}));
  };
  walk(panelTree(appRouter));
  return forms;
}

/** The few DOM members read in the page (this package compiles without the DOM library). */
interface PageElement {
  id: string;
  tagName: string;
  parentElement: PageElement | null;
  firstElementChild: PageElement | null;
  nextElementSibling: PageElement | null;
  textContent: string | null;
  childNodes: ArrayLike<{ nodeType: number; textContent: string | null }>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}

/** Each form on the page: the procedure path its enclosing sections name, and the names its fields show. */
function renderedForms(page: Page) {
  return page.evaluate(() => {
    const TEXT_NODE = 3;
    const document = (globalThis as unknown as { document: PageElement }).document;
    return Array.from(document.querySelectorAll('form')).map((form) => {
      const names: string[] = [];
      for (let el = form.parentElement; el; el = el.parentElement) {
        // A section (router or procedure) is a header button, its kind badge then its name, and a body.
        const badge =
          el.firstElementChild?.tagName === 'BUTTON' ? el.firstElementChild.querySelector('span > span') : null;
        if (badge?.nextElementSibling) names.unshift(badge.nextElementSibling.textContent!.trim());
      }
      // Inputs carry the field's name as id or placeholder; a list field shows it as a label only.
      const fields = Array.from(form.querySelectorAll('*')).flatMap((e) => [
        e.id,
        e.getAttribute('placeholder'),
        Array.from(e.childNodes)
          .map((n) => (n.nodeType === TEXT_NODE ? n.textContent : ''))
          .join('')
          .trim(),
      ]);
      return { path: names.join('.'), fields: fields.filter((f): f is string => !!f) };
    });
  });
}

describe.skipIf(missing)('tRPC UI at /trpc-ui (Chromium)', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let page: Page;
  const elsewhere: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    app = await createTestApp({ env: { TRPC_UI: 'true' } });
    server = await startTestServer(app);
    browser = await launchChromium();
    page = await browser.newPage();
    // blob: URLs (Monaco's worker) carry the page's origin too.
    page.on('request', (r) => void (new URL(r.url()).origin === server.url || elsewhere.push(r.url())));
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => void (/Content Security Policy/i.test(m.text()) && problems.push(m.text())));
    await page.goto(`${server.url}/trpc-ui`);
    await page.getByText('Strongroom tRPC UI').waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  it('renders an input form for every procedure of the router, with every top-level input field', async () => {
    const expected = expectedForms();
    expect(expected.size).toBe(Object.keys(appRouter._def.procedures).length);
    const rendered = new Map((await renderedForms(page)).map((f) => [f.path, f.fields]));
    expect([...rendered.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, fields] of expected) {
      // A nested object's fields are named by their dotted path.
      const drawn = rendered.get(path)!.map((f) => f.split('.')[0]);
      for (const field of fields) expect(drawn, `${path} field ${field}`).toContain(field);
    }
    expect(rendered.get('secrets.create')).toEqual(expect.arrayContaining(['name', 'value', 'scope', 'description']));
  });

  it('calls a procedure with the admin token entered in the Headers dialog and shows the answer', async () => {
    await page.getByRole('button', { name: 'Headers' }).click();
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByPlaceholder('Enter value for Key', { exact: true }).fill('Authorization');
    await page.getByPlaceholder('Enter value for Value', { exact: true }).fill(`Bearer ${app.orgA.adminToken}`);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('me', { exact: true }).first().click();
    await page.getByRole('button', { name: 'Execute me' }).click();
    // The answer of `me` names the admin the token belongs to.
    await page.getByText(app.orgA.adminUserId).first().waitFor({ timeout: 15_000 });
  });

  it('opens the raw JSON input in the Monaco editor served from this server', async () => {
    await page.getByRole('button', { name: 'toggle raw JSON input' }).filter({ visible: true }).first().click();
    await page.locator('.monaco-editor').first().waitFor({ timeout: 30_000 });
  });

  it('loads nothing from anywhere but this server, and breaks no CSP rule', () => {
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('tRPC UI switched off (the default)', () => {
  it('answers 404 at /trpc-ui, and the console does not take the path over', async () => {
    const app = await createTestApp();
    const server = await startTestServer(app);
    try {
      for (const path of ['/trpc-ui', '/trpc-ui/bundle.js']) {
        const res = await fetch(`${server.url}${path}`);
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type'), path).not.toMatch(/text\/html/);
      }
    } finally {
      await server.close();
      await app.close();
    }
  });
});
