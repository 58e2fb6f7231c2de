import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console is served by the API server at `/`; `npm run dev` proxies the API to it. */
export default defineConfig({
  plugins: [react()],
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
