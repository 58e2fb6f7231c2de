/**
 * The API's router type. In the workspace this is the server's own type; the build replaces its
 * declaration with one that names no server code (`scripts/router-types.mjs`).
 */
export type { AppRouter } from '@strongroom/api';
