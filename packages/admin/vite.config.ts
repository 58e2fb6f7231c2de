import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/** The console is served by the API server at `/`; `npm run dev` proxies the API to it. */
export default defineConfig({
  plugins: [react()],
  // The client from its TypeScript source, so the console builds without building the client first.
  resolve: { conditions: ['@strongroom/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    proxy: Object.fromEntries(
      ['/trpc', '/console', '/docs', '/openapi.json'].map((path) => [
        path,
        process.env.STRONGROOM_URL ?? 'http://127.0.0.1:8080',
      ]),
    ),
  },
});
