import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTest } from '../../vitest.shared.ts';

export default mergeConfig(
  sharedTest,
  defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      globalSetup: ['../../db/src/test-global-setup.ts'],
      // Building, packing and a fresh npm install (from the machine's npm cache) take minutes.
      hookTimeout: 600_000,
      testTimeout: 120_000,
    },
  }),
);
