import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTest } from '../../vitest.shared.ts';

export default mergeConfig(
  sharedTest,
  defineConfig({
    test: { include: ['src/**/*.test.ts', 'test/**/*.test.ts'], globalSetup: ['../../db/src/test-global-setup.ts'] },
  }),
);
