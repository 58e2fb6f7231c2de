import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTest } from '../../vitest.shared.ts';

export default mergeConfig(
  sharedTest,
  defineConfig({
    // The SDK warns at import that releases after January 2027 need Node 22; the pin is deliberate.
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  }),
);
