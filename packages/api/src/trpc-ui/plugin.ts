import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { AnyTRPCRouter } from '@trpc/server';
import type { FastifyPluginAsync } from 'fastify';
import { panelTree } from './tree';

/** Where the panel lives; its scripts, styles and editor are served below it. */
export const TRPC_UI_PATH = '/trpc-ui';
/** Where trpc-ui's bundle looks for the Monaco editor (its JSON input mode) unless told otherwise. */
const MONACO_CDN = 'https://cdn.jsdelivr.net/npm/monaco-editor@0.52.2/min/vs';

/**
 * The panel page's own CSP, in place of the server-wide one (which it otherwise equals, with
 * `upgrade-insecure-requests` left out for the same reason): the app validates a form with ajv,
 * which compiles the input's JSON Schema with `new Function`, so scripts may be evaluated, though
 * still only loaded from this origin, never inline. Its styles are injected at run time (emotion),
 * and Monaco runs its language worker from a blob.
 */
const PANEL_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self' 'unsafe-eval'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
].join(';');

/**
 * trpc-ui's prebuilt app and the Monaco editor, found through the `@strongroom/trpc-ui` package
 * that installs them; undefined when it is not installed.
 */
export function panelAssets(): { app: string; monaco: string } | undefined {
  try {
    const from = createRequire(createRequire(import.meta.url).resolve('@strongroom/trpc-ui/package.json'));
    return {
      app: join(dirname(from.resolve('trpc-ui')), 'react-app'),
      monaco: dirname(from.resolve('monaco-editor')),
    };
  } catch {
    return undefined;
  }
}

/**
 * `text` with each key replaced (once) by its value. A key that is missing fails the server's
 * start: a trpc-ui release that moved a placeholder would otherwise serve an empty panel, or let
 * the page fetch Monaco from the CDN.
 */
function fill(text: string, values: Record<string, string>): string {
  return Object.entries(values).reduce((out, [key, value]) => {
    const at = out.indexOf(key);
    if (at < 0) throw new Error(`trpc-ui's app has no ${key} to fill in: is trpc-ui still at the version we pin?`);
    return out.slice(0, at) + value + out.slice(at + key.length);
  }, text);
}

export interface TrpcUiOptions {
  router: AnyTRPCRouter;
  /** The tRPC endpoint the panel calls, as the browser reaches it. */
  url: string;
}

/**
 * A tRPC UI at `/trpc-ui`: the published trpc-ui panel, fed our router as JSON Schema (see
 * `tree.ts`), with every file it loads served from this server. The page carries no token: the
 * admin enters `Authorization: Bearer …` in the panel's Headers dialog.
 * @example await app.register(trpcUi, { router: appRouter, url: '/trpc' });
 */
export const trpcUi: FastifyPluginAsync<TrpcUiOptions> = async (app, options) => {
  const assets = panelAssets();
  if (!assets) {
    app.get(TRPC_UI_PATH, async (_req, reply) =>
      reply.code(404).send({ message: 'The tRPC UI is not installed (the @strongroom/trpc-ui package is missing).' }),
    );
    return;
  }
  const read = (file: string) => readFileSync(join(assets.app, file), 'utf8');
  const panelOptions = {
    url: options.url,
    transformer: 'none',
    meta: {
      title: 'Strongroom tRPC UI',
      description: 'Add the header Authorization: Bearer <your token> under **Headers**.',
    },
  };
  // The bundle reads the router and its options from two placeholders that trpc-ui's own
  // renderer fills in an inline <script>; served as a file instead, the page needs no inline script.
  const bundle = fill(read('bundle.js'), {
    '"{{parsed_router}}"': JSON.stringify(panelTree(options.router)),
    '"{{options}}"': JSON.stringify(panelOptions),
    [MONACO_CDN]: `${TRPC_UI_PATH}/vs`,
  });
  const html = fill(read('index.html'), {
    '{{css}}': `<link rel="stylesheet" href="${TRPC_UI_PATH}/index.css">`,
    '{{js}}': `<script src="${TRPC_UI_PATH}/bundle.js"></script>`,
  });
  const css = read('index.css');

  app.get(TRPC_UI_PATH, async (_req, reply) =>
    reply.header('content-security-policy', PANEL_CSP).type('text/html; charset=utf-8').send(html),
  );
  app.get(`${TRPC_UI_PATH}/bundle.js`, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(bundle),
  );
  app.get(`${TRPC_UI_PATH}/index.css`, async (_req, reply) => reply.type('text/css; charset=utf-8').send(css));
  await app.register(fastifyStatic, { root: assets.monaco, prefix: `${TRPC_UI_PATH}/vs/`, decorateReply: false });
};
