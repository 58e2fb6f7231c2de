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

/** How deep a cause chain is copied; deeper causes are dropped. */
const MAX_CAUSES = 5;

/**
 * A copy of an error and its causes that keeps only each one's name and message, passed through
 * `scrub`. Nothing else travels: an SDK error may hold the request it sent (a provider key in its
 * headers) or the response it got, which a log serialiser would print.
 */
function scrubbedChain(err: unknown, scrub: (text: string) => string, depth = 0): Error | undefined {
  if (err === undefined || depth >= MAX_CAUSES) return undefined;
  const source = err instanceof Error ? err : undefined;
  const cause = scrubbedChain(source?.cause, scrub, depth + 1);
  const message = source ? source.message : typeof err === 'string' ? err : `a ${typeof err} was thrown`;
  const copy = new Error(scrub(message), cause ? { cause } : undefined);
  copy.name = scrub(source?.name ?? 'Error');
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

/**
 * A typed runtime failure. Its message is scrubbed of every value resolved for the run, and so is
 * its `cause`: a copy of what went wrong underneath (names and messages only, scrubbed with
 * `scrub`, which defaults to no values known yet).
 * @example if (err instanceof AgentsRuntimeError && err.code === 'GRANT_DENIED') console.warn(err.cause);
 */
export class AgentsRuntimeError extends Error {
  override readonly name = 'AgentsRuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly details: Record<string, string> = {},
    options: { cause?: unknown; scrub?: (text: string) => string } = {},
  ) {
    const cause = scrubbedChain(options.cause, options.scrub ?? ((text) => text));
    super(message, cause ? { cause } : undefined);
  }
}
