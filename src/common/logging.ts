import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { AppConfig } from '../config/app-config';

/** Never let a secret reach a log line, wherever it hides in an object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.apiKey',
  '*.openaiApiKey',
  '*.password',
  '*.secretAccessKey',
  '*.databaseUrl',
];

/** pino through nestjs-pino: JSON lines, request logs without bodies, secrets redacted. */
export function loggerOptions(config: AppConfig, role: string): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      base: { role },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Health probes would drown everything else.
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}

/**
 * The same JSON lines before Nest (and its pino logger) exist: what the entrypoints log while
 * they wait for the database. Writes synchronously, so a line is out before a boot error exits.
 */
export function bootLogger(config: AppConfig, role: string, context = 'Database'): BootLogLines {
  const logger = pino({
    level: config.logLevel,
    base: { role },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
  return {
    log: (message: string) => logger.info({ context }, message),
    warn: (message: string) => logger.warn({ context }, message),
  };
}

export interface BootLogLines {
  log(message: string): void;
  warn(message: string): void;
}
