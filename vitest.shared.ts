import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/** Settings every package's vitest config starts from. */
export const sharedTest = defineConfig({
  // Workspace packages export their TypeScript source under this condition (consumers get
  // `dist/`), so tests run without a build. `module` stays out, as in vitest's own default.
  ssr: {
    resolve: { conditions: ['@strongroom/source', ...defaultServerConditions.filter((c) => c !== 'module')] },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
