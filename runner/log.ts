/** pino logger. Secrets are redacted by path as a second line of defence; they are never logged on purpose. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'assay'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['token', '*.token', 'password', '*.password', 'authorization', '*.authorization', 'accessToken', '*.accessToken', 'headers.authorization', 'req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  });
}
