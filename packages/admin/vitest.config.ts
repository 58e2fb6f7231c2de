import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTest } from '../../vitest.shared.ts';

export default mergeConfig(
  sharedTest,
  defineConfig({
    test: {
      include: ['test/**/*.e2e.test.ts'],
      globalSetup: ['../../db/src/test-global-setup.ts'],
      // One browser scenario at a time keeps the run within its time bounds on two cores.
      fileParallelism: false,
      testTimeout: 60_000,
    },
  }),
);
