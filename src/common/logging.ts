import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PinoLogger, type Params } from 'nestjs-pino';
import pino from 'pino';
import type { AppConfig } from '../config/app-config';
import type { PrincipalRequest } from '../tenants/request-principal';

/**
 * The configuration's secrets, by the names they go by in the environment and in AppConfig (and
 * in the tenant rows): where one sits in a logged object, top level or one down, it is censored.
 */
const SECRET_NAMES = [
  'OPENAI_API_KEY',
  'SUPABASE_SERVICE_ROLE_KEY',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'WEBHOOK_SECRET',
  'METRICS_TOKEN',
  'DATABASE_URL',
  'apiKey',
  'openaiApiKey',
  'serviceRoleKey',
  'secretAccessKey',
  'sessionToken',
  'webhookSecret',
  'webhook_secret',
  'metricsToken',
  'databaseUrl',
  'password',
];

/**
 * Redacted on every line, whatever LOG_REDACT adds: credentials in request headers, cookies,
 * and the secrets above. Explicit paths (pino's redact), not a guess from names matching a pattern.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_NAMES.flatMap((name) => [name, `*.${name}`]),
];

/** The built-in paths and LOG_REDACT's. */
export function redactPaths(config: AppConfig): string[] {
  return [...new Set([...REDACT_PATHS, ...config.observability.logRedact])];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: the caller's X-Request-Id when it looks like an id (a proxy's or a client's,
 * so one request can be followed across services), else a new UUID; echoed in the response.
 */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** pino through nestjs-pino: JSON lines, request logs with the request id and tenant, secrets redacted. */
export function loggerOptions(config: AppConfig, role: string): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      base: { role },
      redact: { paths: redactPaths(config), censor: '[redacted]' },
      genReqId: requestId,
      // Read when the request's logger is made and again for its completed line: by then the
      // auth guard has set the principal (lines in between get it from RequestLogContextInterceptor).
      customProps: (req) => {
        const principal = (req as PrincipalRequest).principal;
        return principal ? { tenantId: principal.tenantId } : {};
      },
      // Probes and scrapes would drown everything else.
      autoLogging: { ignore: (req) => /^\/(health|metrics)(\/|\?|$)/.test(req.url ?? '') },
      serializers: {
        req: (req: { method: string; url: string; id: unknown; headers: Record<string, unknown> }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
          headers: req.headers,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}

// runInContext reads nothing of its instance (only nestjs-pino's request storage and root
// logger), and nestjs-pino exports no other way into that storage.
const contextRunner = Object.create(PinoLogger.prototype) as PinoLogger;

/**
 * Runs fn with every Nest log line inside it (its awaits included) carrying the bindings, as a
 * pino child logger: what a request's lines get from pino-http, for a worker's job. Without
 * nestjs-pino's logger (a test building the worker's parts with `new`), fn just runs.
 */
export function withLogBindings<T>(bindings: Record<string, unknown>, fn: () => T): T {
  if (!PinoLogger.root) return fn();
  return contextRunner.runInContext(fn, { bindings });
}

/**
 * The same JSON lines before Nest (and its pino logger) exist: what the entrypoints log while
 * they wait for the database. Writes synchronously, so a line is out before a boot error exits.
 */
export function bootLogger(config: AppConfig, role: string, context = 'Database'): BootLogLines {
  const logger = pino({
    level: config.logLevel,
    base: { role },
    redact: { paths: redactPaths(config), censor: '[redacted]' },
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
