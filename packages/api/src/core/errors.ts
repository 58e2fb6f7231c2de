/** Codes a service may fail with; each maps to the tRPC code of the same name. */
export type AppErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FORBIDDEN'
  | 'TOO_MANY_REQUESTS'
  | 'PRECONDITION_FAILED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export interface AppErrorOptions {
  /** A stable machine-readable reason, e.g. `VERSION_CONFLICT`. */
  reason?: string;
  /** The input field at fault, for BAD_REQUEST. */
  field?: string;
  /** Safe, value-free details for the client (e.g. the referrers blocking a delete). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * A failure whose message is safe to show the caller: it never holds a secret value.
 * Anything else that escapes a procedure is reported as a generic internal error.
 * @example throw new AppError('CONFLICT', 'Secret "stripe" already exists in namespace "default"');
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly reason: string | undefined;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    readonly code: AppErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.reason = options.reason;
    this.field = options.field;
    this.details = options.details;
  }
}

/** The answer for a missing row and for another org's row alike. */
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);

/** BAD_REQUEST naming the field. */
export const badInput = (field: string, message: string) =>
  new AppError('BAD_REQUEST', message, { field, reason: 'INVALID_INPUT' });

const hasSqlState = (err: unknown, code: string) =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;

/** Postgres unique_violation, from either engine. */
export const isUniqueViolation = (err: unknown): boolean => hasSqlState(err, '23505');

/** Postgres undefined_function: a database function a later migration creates is not there yet. */
export const isUndefinedFunction = (err: unknown): boolean => hasSqlState(err, '42883');
