import { pino } from 'pino';
import { requestContext } from './request-context.js';

export type Logger = pino.Logger;

/**
 * Structured JSON logs on stdout. Personal data (phones, emails, message text) is never passed to info-level
 * logs by the code; the redact list is a second line of defence for fields that might carry it.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The HTTP request being served, if any (its id is also in the access log line and X-Request-Id).
      mixin: requestContext,
      redact: {
        paths: [
          '*.token',
          '*.password',
          '*.secret',
          '*.authorization',
          'req.headers.authorization',
          '*.phone',
          '*.email',
          '*.text',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
