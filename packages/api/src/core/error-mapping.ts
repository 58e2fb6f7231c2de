import { CryptoError } from '@strongroom/crypto';
import { TRPCError } from '@trpc/server';
import { AppError } from './errors';

/** Postgres and socket failures that mean "the database is not there right now". */
const UNAVAILABLE_DB_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03']);

function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_DB_CODES.has(code) || code.startsWith('08'))) return true;
  const message = (err as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
  );
}

/**
 * Turns what a service threw into the AppError the client may see. Crypto and database failures
 * get fixed, value-free messages; anything unknown stays an internal error with a generic message.
 */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof CryptoError) {
    if (err.code === 'KEY_UNAVAILABLE') {
      const message = err.keyId
        ? `KEK "${err.keyId}" is not available to this instance yet; retry later`
        : 'The key service is unavailable; retry later';
      return new AppError('SERVICE_UNAVAILABLE', message, {
        reason: 'KEY_UNAVAILABLE',
        cause: err,
      });
    }
    if (err.code === 'DECRYPTION_FAILED') {
      return new AppError(
        'INTERNAL_SERVER_ERROR',
        'The stored value failed its integrity check (it was altered or moved); it cannot be opened',
        { reason: 'INTEGRITY_FAILED', cause: err },
      );
    }
    return undefined;
  }
  if (isDatabaseUnavailable(err)) {
    return new AppError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry later', {
      reason: 'DATABASE_UNAVAILABLE',
      cause: err,
    });
  }
  return undefined;
}

/**
 * Input that is not JSON. The parser's own message quotes part of the input, which may be part of
 * a secret value, so it is replaced (and dropped as the cause, so the log does not carry it either).
 */
const notJson = () =>
  new AppError('BAD_REQUEST', 'The input is not valid JSON', { field: '(input)', reason: 'INVALID_JSON' });

/** The TRPCError for a procedure failure, with the AppError (if any) as its cause. */
export function toTRPCError(error: TRPCError): TRPCError {
  if (error.cause instanceof AppError && error.code === error.cause.code) return error;
  if (error.code === 'BAD_REQUEST' && error.cause instanceof SyntaxError) {
    const app = notJson();
    return new TRPCError({ code: app.code, message: app.message, cause: app });
  }
  const app = toAppError(error.cause ?? error);
  return app ? new TRPCError({ code: app.code, message: app.message, cause: app }) : error;
}
