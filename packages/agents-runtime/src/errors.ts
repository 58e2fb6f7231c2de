/** Why a run or a resolution failed; none of these carries a credential. */
export type RuntimeErrorCode =
  | 'AGENT_NOT_FOUND'
  | 'PROVIDER_NOT_FOUND'
  | 'PROVIDER_NOT_CONFIGURED'
  | 'SECRET_NOT_FOUND'
  | 'GRANT_DENIED'
  | 'GATEWAY_TOKEN_MISSING'
  | 'GATEWAY_UNAUTHORIZED'
  | 'GATEWAY_NOT_FOUND'
  | 'GATEWAY_UNREACHABLE'
  | 'GATEWAY_ERROR'
  | 'MCP_SERVER_FAILED'
  /** An OAuth MCP server's sign-in was refused or revoked: an admin must reconnect it. */
  | 'MCP_REAUTH_REQUIRED'
  /** An OAuth MCP server nobody has connected yet. */
  | 'MCP_NOT_CONNECTED'
  | 'STRONGROOM_UNAVAILABLE';

/**
 * A typed runtime failure. Its message is scrubbed of every value resolved for the run.
 * @example if (err instanceof AgentsRuntimeError && err.code === 'GRANT_DENIED') ...
 */
export class AgentsRuntimeError extends Error {
  override readonly name = 'AgentsRuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}
