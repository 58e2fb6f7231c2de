import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTest } from '../../vitest.shared.ts';

export default mergeConfig(sharedTest, defineConfig({ test: { include: ['test/**/*.test.ts'] } }));
