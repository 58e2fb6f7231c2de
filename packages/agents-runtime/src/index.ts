export { AgentsRuntimeError, type RuntimeErrorCode } from './errors';
export { DEFAULT_GATEWAY_BASE_URL } from './providers/cloudflare-ai-gateway/binding';
export { type AgentsRuntime, type AgentsRuntimeOptions, createAgentsRuntime, type RunInput } from './runtime';
export { createScrubber, REDACTED } from './scrub';
