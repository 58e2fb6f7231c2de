import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../server';
import { createTestApp, type TestApp } from '../../test/support/harness';
import { consoleOptionsFromEnv } from './plugin';

let app: TestApp;
let built: Awaited<ReturnType<typeof buildServer>>;
let unbuilt: Awaited<ReturnType<typeof buildServer>>;

/** A stand-in for the Vite build: index.html and one fingerprinted asset. */
function fakeConsole(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sr-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("console")');
  return dir;
}

beforeAll(async () => {
  app = await createTestApp();
  built = await buildServer(app.deps, { console: { dir: fakeConsole(), revealSeconds: 7 } });
  unbuilt = await buildServer(app.deps, {
    console: { dir: mkdtempSync(join(tmpdir(), 'sr-empty-')), revealSeconds: 30 },
  });
});
afterAll(async () => {
  await built.close();
  await unbuilt.close();
  await app.close();
});

describe('admin console at /', () => {
  it('serves index.html for / and for any client-side page path, never cached', async () => {
    for (const url of [
      '/',
      '/secrets',
      '/secrets/0b5f3f9e-3c1e-4c52-9d55-0f7f0b1f4e11',
      '/audit?action=secret.reveal',
    ]) {
      const res = await built.inject({ url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('<div id="root">');
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('lets browsers keep fingerprinted assets and 404s a missing one instead of sending the page', async () => {
    const asset = await built.inject({ url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await built.inject({ url: '/assets/index-gone.js' })).statusCode).toBe(404);
    expect((await built.inject({ url: '/favicon.ico' })).statusCode).toBe(404);
  });

  it('leaves the server paths alone', async () => {
    expect((await built.inject({ url: '/healthz' })).json()).toEqual({ ok: true });
    expect((await built.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await built.inject({ url: '/openapi.json' })).json()).toMatchObject({ openapi: '3.1.0' });
    expect((await built.inject({ url: '/docs' })).body).toContain('swagger-ui');
    expect((await built.inject({ url: '/trpc/health' })).json()).toMatchObject({ result: { data: { ok: true } } });
    for (const url of ['/trpc/secrets/list', '/docs/nothing-here', '/api/secrets', '/console/nothing']) {
      const res = await built.inject({ url, headers: { accept: 'text/html' } });
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('<div id="root">');
    }
    expect((await built.inject({ method: 'POST', url: '/secrets' })).statusCode).toBe(404);
  });

  it('does not send browsers to https:// for its own assets, so plain HTTP on any address works', async () => {
    const csp = (await built.inject({ url: '/' })).headers['content-security-policy'];
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
  });

  it('tells the console how long a revealed value stays on screen, and that it signs in with tokens only', async () => {
    expect((await built.inject({ url: '/console/config.json' })).json()).toEqual({ revealSeconds: 7, oidc: null });
  });

  it('says plainly when the console has not been built', async () => {
    const res = await unbuilt.inject({ url: '/secrets' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toMatch(/not built.*npm run build/);
    expect((await unbuilt.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('console settings from the environment', () => {
  it('reads CONSOLE_REVEAL_SECONDS, 30 by default, and refuses nonsense at start', () => {
    expect(consoleOptionsFromEnv({})).toEqual({ revealSeconds: 30 });
    expect(consoleOptionsFromEnv({ CONSOLE_REVEAL_SECONDS: '' })).toEqual({ revealSeconds: 30 });
    expect(consoleOptionsFromEnv({ CONSOLE_REVEAL_SECONDS: '5' })).toEqual({ revealSeconds: 5 });
    for (const bad of ['0', '-3', '1.5', 'soon', '99999']) {
      expect(() => consoleOptionsFromEnv({ CONSOLE_REVEAL_SECONDS: bad })).toThrow(/CONSOLE_REVEAL_SECONDS/);
    }
  });
});
