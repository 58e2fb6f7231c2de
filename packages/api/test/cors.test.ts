import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { browserMissing, launchChromium } from '@strongroom/testkit';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config';
import { createTestApp, startTestServer, type TestApp } from './support/harness';

/**
 * A web app on another origin calls the API from Chromium: a page server on localhost serves a
 * blank page, the API listens on 127.0.0.1, and the page's fetch carries a bearer token (so the
 * browser sends a preflight). Only origins listed in CORS_ORIGINS may read the answer.
 */
const missing = browserMissing();

interface Outcome {
  status?: number;
  role?: string;
  error?: string;
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

describe.skipIf(missing)('CORS from a page on another origin (Chromium)', () => {
  let pages: Server;
  let pagePort: number;
  let browser: Browser;
  const apps: { app: TestApp; server: Awaited<ReturnType<typeof startTestServer>> }[] = [];

  beforeAll(async () => {
    pages = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html>'));
    pagePort = await listen(pages, '127.0.0.1');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const { app, server } of apps) {
      await server.close();
      await app.close();
    }
    await new Promise((resolve) => pages?.close(resolve));
  });

  async function api(env: Record<string, string>) {
    const app = await createTestApp({ env });
    const server = await startTestServer(app);
    apps.push({ app, server });
    return { app, url: server.url };
  }

  /** What the page at `origin` gets from `GET /trpc/me` with the admin token. */
  async function callFrom(origin: string, apiUrl: string, token: string): Promise<Outcome> {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ url, token }) => {
          try {
            const res = await fetch(`${url}/trpc/me`, { headers: { authorization: `Bearer ${token}` } });
            const body = (await res.json()) as { result?: { data?: { role?: string } } };
            return { status: res.status, role: body.result?.data?.role };
          } catch (err) {
            return { error: String(err) };
          }
        },
        { url: apiUrl, token },
      );
    } finally {
      await page.close();
    }
  }

  it('an allowed origin reads the answer; another origin is blocked by the browser', async () => {
    const allowed = `http://localhost:${pagePort}`;
    const { app, url } = await api({ CORS_ORIGINS: `https://app.example.com, ${allowed}` });
    expect(await callFrom(allowed, url, app.orgA.adminToken)).toEqual({ status: 200, role: 'admin' });
    const other = await callFrom(`http://127.0.0.1:${pagePort}`, url, app.orgA.adminToken);
    expect(other.error).toMatch(/Failed to fetch/);
    // Why: the preflight answers the allowed origin by name and the other one not at all.
    const preflight = (origin: string) =>
      fetch(`${url}/trpc/me`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    expect((await preflight(allowed)).headers.get('access-control-allow-origin')).toBe(allowed);
    expect((await preflight(`http://127.0.0.1:${pagePort}`)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is off by default: no origin may call the API cross-origin', async () => {
    const { app, url } = await api({});
    const outcome = await callFrom(`http://localhost:${pagePort}`, url, app.orgA.adminToken);
    expect(outcome.error).toMatch(/Failed to fetch/);
  });
});

describe('CORS_ORIGINS', () => {
  it('is a list of origins, empty by default; anything else fails at start naming the variable', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    for (const bad of ['https://a.example/app', '*', 'a.example', 'ftp://a.example', 'https://a.example/']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS: must be a comma-separated list/);
    }
  });
});
