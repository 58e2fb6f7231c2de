import { defineConfig } from 'vitest/config';

/** Settings every package's vitest config starts from. */
export const sharedTest = defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
