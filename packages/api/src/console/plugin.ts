import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ConsoleSignIn } from '../core/identity-config';

/**
 * The console `npm run build -w @strongroom/admin` wrote, found through the admin package's own
 * `./dist/*` export; undefined when that package is not installed or not built.
 */
export function consoleDist(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('@strongroom/admin/dist/index.html'));
  } catch {
    return undefined;
  }
}

/** Paths that belong to the server, never to the console's client-side routes. */
const SERVER_PATHS = /^\/(trpc|api|docs|openapi\.json|trpc-ui|healthz|readyz|console|assets|oauth)(\/|$)/;

const revealSeconds = z.coerce.number().int().min(1).max(3600).default(30);

export interface ConsoleOptions {
  /** The built console (index.html and assets/); defaults to the admin package's dist. */
  dir?: string;
  /** How long a revealed value stays on screen; `CONSOLE_REVEAL_SECONDS`, default 30. */
  revealSeconds: number;
  /** The identity provider the console signs people in with, if one is configured. */
  oidc?: ConsoleSignIn | null;
}

/**
 * The console's settings from the environment; a bad value fails at start, naming the variable.
 * @example consoleOptionsFromEnv(process.env) // { revealSeconds: 30 }
 */
export function consoleOptionsFromEnv(env: Record<string, string | undefined>): ConsoleOptions {
  const parsed = revealSeconds.safeParse(env.CONSOLE_REVEAL_SECONDS || undefined);
  if (!parsed.success)
    throw new Error('Invalid configuration: CONSOLE_REVEAL_SECONDS must be a whole number of seconds from 1 to 3600');
  return { revealSeconds: parsed.data };
}

const NOT_BUILT =
  'The admin console is not built. Run `npm run build` (or `npm start`, which builds it when needed) and reload.';

/**
 * Serves the admin console at `/`: its files, `/console/config.json`, and index.html for any
 * other page path so that client-side routes survive a reload. Unknown server paths stay 404.
 * Registered without a prefix, so its not-found handler is the server's.
 * @example await app.register(adminConsole, consoleOptionsFromEnv(process.env));
 */
export const adminConsole: FastifyPluginAsync<ConsoleOptions> = async (app, options) => {
  const dir = options.dir ?? consoleDist();
  const built = dir !== undefined && existsSync(join(dir, 'index.html'));
  app.get('/console/config.json', async () => ({ revealSeconds: options.revealSeconds, oidc: options.oidc ?? null }));
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      // Vite fingerprints everything under assets/, so those may be cached for good; pages never.
      setHeaders: (reply, path) => {
        reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const isPage =
      (req.method === 'GET' || req.method === 'HEAD') && !SERVER_PATHS.test(path) && !/\.[a-z0-9]+$/i.test(path);
    if (!isPage) return reply.code(404).send({ message: `Route ${req.method} ${path} not found` });
    if (!built) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
};
