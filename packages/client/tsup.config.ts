import { library } from '../../tsup.shared.ts';

// Declarations come from tsc and scripts/router-types.mjs (the router's server-free types).
export default { ...library, dts: false };
