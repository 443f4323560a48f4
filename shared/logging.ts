import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear: bearer tokens, secrets, bodies. */
const REDACT = [
  'authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'body',
  '*.body',
  // Alert rules' signing secrets (docs/operations.md, "Alerts").
  'secret',
  '*.secret',
];

/** The process logger: JSON lines, secrets redacted, level from LOG_LEVEL. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: undefined, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
