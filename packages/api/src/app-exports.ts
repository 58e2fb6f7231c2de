/** What other packages may embed: the server, its wiring, and operator helpers (the demo uses them). */
export { openDeps, prepareDatabase } from './app';
export { loadConfig } from './core/config';
export { createLogger } from './core/logger';
export { setInfraSecret } from './infra-secrets/service';
export { bootstrapIfEmpty } from './orgs/service';
export { buildServer } from './server';
