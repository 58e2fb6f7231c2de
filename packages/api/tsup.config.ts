import { library } from '../../tsup.shared.ts';

/**
 * The compiled server and `strongroom` command: one ESM file run by plain `node`. Our workspace
 * packages are bundled in (`@strongroom/db` ships TypeScript source only); every other package
 * stays an import resolved from node_modules at run time.
 */
export default {
  ...library,
  entry: { cli: 'src/cli.ts' },
  dts: false,
  noExternal: [/^@strongroom\//],
  external: [/^[^./]/],
  banner: { js: '#!/usr/bin/env node' },
};
