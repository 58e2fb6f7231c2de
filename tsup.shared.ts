import type { Options } from 'tsup';

/**
 * How a published library builds: one ESM file and one bundled declaration file per entry.
 * tsup (esbuild + rollup-plugin-dts) rather than `tsc -b`: our sources import each other without
 * file extensions (`moduleResolution: Bundler`), which tsc would emit unchanged and plain Node
 * could not load; a bundle also gives each package one small `.d.ts` with no internal paths.
 */
export const library: Options = {
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'node',
  target: 'node22',
  dts: true,
  sourcemap: true,
  clean: true,
  removeNodeProtocol: false,
  // Bundled workspace code comes from its TypeScript source, as in tests (see vitest.shared.ts).
  esbuildOptions: (options) => {
    options.conditions = ['@strongroom/source'];
  },
};
