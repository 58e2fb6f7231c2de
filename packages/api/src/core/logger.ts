import type { DestinationStream, Logger } from 'pino';
import { pino } from 'pino';

/**
 * Log fields that may carry credentials. Secret values never reach a log call on purpose; this is
 * the net under that rule, and the canary tests check the whole log output.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'value',
  'input',
  'plaintext',
  '*.token',
  '*.value',
  '*.input',
  '*.plaintext',
  '*.*.value',
  '*.*.token',
];

/**
 * The process logger: JSON lines with redaction; Fastify uses the same instance.
 * @example const log = createLogger('info');
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // The path only: tRPC GET inputs travel in the query string.
      req: (req: { method?: string; url?: string; id?: string }) => ({
        method: req.method,
        url: req.url?.split('?')[0],
        reqId: req.id,
      }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
