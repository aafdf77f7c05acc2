import { join } from 'node:path';
import pino from 'pino';
import ipaddr from 'ipaddr.js';
import { ConfigError, Environment, parseEnvironment } from './environment';

export type OcrProvider = 'textract' | 'paddle' | 'tesseract' | 'none';

/**
 * Languages PaddleOCR's shipped model reads (its dictionary: Chinese and the Latin alphabet without
 * most accented letters); tesseract code names.
 */
export const PADDLE_LANGUAGES: readonly string[] = ['eng', 'chi_sim'];

/**
 * The local engine OCR_PROVIDER=auto picks without AWS: PaddleOCR, which reads the corpus better
 * (bench:cer), when it covers every OCR language; else tesseract, which has a model per language.
 */
export function localOcrFor(languages: string[]): 'paddle' | 'tesseract' {
  return languages.every((code) => PADDLE_LANGUAGES.includes(code)) ? 'paddle' : 'tesseract';
}

/** A Supabase project reached over HTTPS with the service role key (supabase-js). */
export interface SupabaseProject {
  url: string;
  serviceRoleKey: string;
  requestTimeoutMs: number;
}

/**
 * Where jobs live, by precedence: DATABASE_URL (pg, Supabase's Postgres included); else
 * SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY (supabase-js RPC); else the embedded database.
 */
export type DatabaseTarget =
  { kind: 'postgres'; url: string } | ({ kind: 'supabase' } & SupabaseProject) | { kind: 'pglite'; dataDir: string };

export type BlobStoreTarget =
  | { driver: 'database' }
  | { driver: 'filesystem'; dir: string }
  | ({ driver: 'supabase'; bucket: string; fileSizeLimit: number } & SupabaseProject)
  | {
      driver: 's3';
      bucket: string;
      region: string;
      endpoint?: string;
      forcePathStyle: boolean;
      keyPrefix: string;
      requestTimeoutMs: number;
    };

/**
 * The typed, validated configuration, grouped by concern. It is the DI token too: inject
 * AppConfig anywhere; only this file reads process.env.
 */
export class AppConfig {
  readonly port: number;
  /** Where the API listens (HOST; unset: 127.0.0.1, or 0.0.0.0 in production). */
  readonly host: string;
  /** On SIGTERM, the time requests in flight get to finish (HTTP_SHUTDOWN_GRACE_SECONDS). */
  readonly httpShutdownGraceMs: number;
  readonly auth: {
    /** AUTH_DISABLED=true: no key is checked; every request is the default tenant's admin. */
    disabled: boolean;
    /**
     * Keys are required even while none exists (a non-loopback HOST, or NODE_ENV=production): a
     * keyless request is never let in open, and the server does not start without an active key.
     */
    required: boolean;
    /** NODE_ENV=production. */
    production: boolean;
  };
  readonly logLevel: string;
  readonly database: DatabaseTarget;
  /** How a process reaches its database at boot. */
  readonly databaseBoot: {
    /** Apply pending migrations (MIGRATE_ON_BOOT); false: refuse to start while some are missing. */
    migrate: boolean;
    /** The server and `npm run migrate` give up on an unreachable database after this long. */
    timeoutMs: number;
    /** A separate worker's limit; undefined: it keeps retrying. */
    workerTimeoutMs?: number;
    /** Overrides the role's application_name (doc-inbox-server, -worker, -migrate). */
    applicationName?: string;
  };
  readonly worker: {
    pollIntervalMs: number;
    concurrency: number;
    leaseSeconds: number;
    maxAttempts: number;
    shutdownGraceMs: number;
    /** A separate worker's health port, if any. */
    healthPort?: number;
    /** The HTTP server process also claims jobs (always on the embedded database). */
    inServer: boolean;
  };
  readonly blobs: {
    store: BlobStoreTarget;
    /** How often the orphan sweep runs; 0: never. */
    sweepIntervalMs: number;
  };
  /** RATE_LIMIT_PER_MINUTE: uploads (job creations) per tenant per minute, counted in the database; 0: off. */
  readonly uploads: { maxFiles: number; maxFileBytes: number; idleTimeoutMs: number; rateLimitPerMinute: number };
  readonly webhooks: {
    /** The default tenant's signing secret (WEBHOOK_SECRET); undefined: keep or generate one. */
    defaultTenantSecret?: string;
    /** Deliver to non-public addresses too (loopback, private, link-local, metadata). */
    allowPrivate: boolean;
    timeoutMs: number;
    /** A delivery's lease: longer than an attempt can take, so two workers never send one attempt. */
    leaseSeconds: number;
    concurrency: number;
    retryBaseSeconds: number;
  };
  /** Days after a job ends; undefined: kept forever (unset or 0). */
  readonly retention: { filesDays?: number; jobsDays?: number };
  readonly limits: { fileTimeoutMs: number; maxPages: number; maxImagePixels: number };
  readonly ocr: {
    provider: OcrProvider;
    languages: string[];
    workers: number;
    awsRegion?: string;
    textractEndpoint?: string;
    textractS3Bucket?: string;
    s3Endpoint?: string;
  };
  readonly classifier: {
    provider: 'openai' | 'local';
    openaiApiKey?: string;
    openaiModel: string;
    openaiBaseUrl?: string;
    openaiConcurrency: number;
    openaiTimeoutMs: number;
    maxInputTokens: number;
    categoriesFile?: string;
    /** Send pages with missing or poor text as images (CLASSIFIER_VISION, resolved for the model). */
    vision: boolean;
  };
  readonly observability: {
    /** GET /metrics needs this bearer token; undefined: open. */
    metricsToken?: string;
    /** pino redact paths added by LOG_REDACT (the built-in ones are in src/common/logging.ts). */
    logRedact: string[];
  };

  constructor(env: Environment) {
    const problems: string[] = [];
    this.port = env.PORT;
    this.httpShutdownGraceMs = env.HTTP_SHUTDOWN_GRACE_SECONDS * 1000;
    const production = env.NODE_ENV === 'production';
    this.host = env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1');
    this.auth = {
      disabled: env.AUTH_DISABLED === 'true',
      required: production || !isLoopbackHost(this.host),
      production,
    };
    this.logLevel = env.LOG_LEVEL;
    const supabase = supabaseProject(env, problems);
    this.database = env.DATABASE_URL
      ? { kind: 'postgres', url: env.DATABASE_URL }
      : supabase
        ? { kind: 'supabase', ...supabase }
        : { kind: 'pglite', dataDir: env.DATA_DIR };
    const embedded = this.database.kind === 'pglite';
    this.databaseBoot = {
      migrate: env.MIGRATE_ON_BOOT === 'true',
      timeoutMs: env.DATABASE_BOOT_TIMEOUT_SECONDS * 1000,
      workerTimeoutMs:
        env.WORKER_DATABASE_BOOT_TIMEOUT_SECONDS === undefined
          ? undefined
          : env.WORKER_DATABASE_BOOT_TIMEOUT_SECONDS * 1000,
      applicationName: env.DATABASE_APPLICATION_NAME,
    };
    this.worker = {
      pollIntervalMs: Math.round(env.WORKER_POLL_INTERVAL_SECONDS * 1000),
      concurrency: env.WORKER_CONCURRENCY,
      leaseSeconds: env.JOB_LEASE_SECONDS,
      maxAttempts: env.JOB_MAX_ATTEMPTS,
      shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
      healthPort: env.WORKER_HEALTH_PORT,
      inServer: env.WORKER_IN_SERVER === 'auto' ? embedded : env.WORKER_IN_SERVER === 'true',
    };
    if (embedded && env.WORKER_IN_SERVER === 'false') {
      problems.push(
        'WORKER_IN_SERVER=false needs DATABASE_URL or SUPABASE_URL: the embedded database serves one process, so its jobs run in the server',
      );
    }
    this.blobs = {
      store: blobStoreTarget(env, supabase, this.database.kind, problems),
      sweepIntervalMs: env.BLOB_SWEEP_INTERVAL_MINUTES * 60_000,
    };
    this.uploads = {
      maxFiles: env.UPLOAD_MAX_FILES,
      maxFileBytes: env.UPLOAD_MAX_FILE_MB * 1024 * 1024,
      idleTimeoutMs: env.UPLOAD_IDLE_TIMEOUT_SECONDS * 1000,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    };
    this.webhooks = {
      defaultTenantSecret: env.WEBHOOK_SECRET,
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === 'true',
      timeoutMs: env.WEBHOOK_TIMEOUT_SECONDS * 1000,
      leaseSeconds: env.WEBHOOK_TIMEOUT_SECONDS + 5,
      concurrency: env.WEBHOOK_CONCURRENCY,
      retryBaseSeconds: env.WEBHOOK_RETRY_BASE_SECONDS,
    };
    this.retention = {
      filesDays: env.RETENTION_FILES_DAYS || undefined,
      jobsDays: env.RETENTION_JOBS_DAYS || undefined,
    };
    this.limits = {
      fileTimeoutMs: env.FILE_TIMEOUT_SECONDS * 1000,
      maxPages: env.MAX_PAGES,
      maxImagePixels: env.MAX_IMAGE_PIXELS,
    };

    const hasAwsCredentials = Boolean(
      env.AWS_ACCESS_KEY_ID ||
      env.AWS_PROFILE ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
    );
    const languages = env.OCR_LANGUAGES.split('+');
    const ocrProvider =
      env.OCR_PROVIDER === 'auto'
        ? hasAwsCredentials && env.AWS_REGION
          ? 'textract'
          : localOcrFor(languages)
        : (env.OCR_PROVIDER as OcrProvider);
    if (ocrProvider === 'textract' && !env.AWS_REGION) {
      problems.push('OCR_PROVIDER=textract needs AWS_REGION (and AWS credentials from the usual chain)');
    }
    this.ocr = {
      provider: ocrProvider,
      languages,
      workers: env.OCR_WORKERS,
      awsRegion: env.AWS_REGION,
      textractEndpoint: env.TEXTRACT_ENDPOINT,
      textractS3Bucket: env.TEXTRACT_S3_BUCKET,
      s3Endpoint: env.S3_ENDPOINT,
    };

    const classifierProvider =
      env.CLASSIFIER_PROVIDER === 'auto'
        ? env.OPENAI_API_KEY
          ? 'openai'
          : 'local'
        : (env.CLASSIFIER_PROVIDER as 'openai' | 'local');
    if (classifierProvider === 'openai' && !env.OPENAI_API_KEY) {
      problems.push('CLASSIFIER_PROVIDER=openai needs OPENAI_API_KEY');
    }
    this.classifier = {
      provider: classifierProvider,
      openaiApiKey: env.OPENAI_API_KEY,
      openaiModel: env.OPENAI_MODEL,
      openaiBaseUrl: env.OPENAI_BASE_URL,
      openaiConcurrency: env.OPENAI_CONCURRENCY,
      openaiTimeoutMs: env.OPENAI_TIMEOUT_MS,
      maxInputTokens: env.CLASSIFIER_MAX_INPUT_TOKENS,
      categoriesFile: env.CATEGORIES_FILE,
      vision: env.CLASSIFIER_VISION === 'auto' && isVisionModel(env.OPENAI_MODEL),
    };
    this.observability = { metricsToken: env.METRICS_TOKEN, logRedact: redactPaths(env.LOG_REDACT, problems) };
    if (problems.length > 0) throw new ConfigError(problems);
  }

  /** Validates an environment (process.env by default) into an AppConfig; throws ConfigError. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): AppConfig {
    return new AppConfig(parseEnvironment(env));
  }
}

/** Both Supabase settings, or neither: one without the other stops the boot naming the missing one. */
function supabaseProject(env: Environment, problems: string[]): SupabaseProject | undefined {
  if (env.SUPABASE_URL && !env.SUPABASE_SERVICE_ROLE_KEY) {
    problems.push(
      "SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is not: copy the service_role key from the project's " +
        'Project Settings -> API (set both, or neither)',
    );
    return undefined;
  }
  if (env.SUPABASE_SERVICE_ROLE_KEY && !env.SUPABASE_URL) {
    problems.push(
      "SUPABASE_SERVICE_ROLE_KEY is set but SUPABASE_URL is not: copy the Project URL from the project's " +
        'Project Settings -> API (set both, or neither)',
    );
    return undefined;
  }
  if (!env.SUPABASE_URL || !env.SUPABASE_SERVICE_ROLE_KEY) return undefined;
  return {
    url: env.SUPABASE_URL.replace(/\/+$/, ''),
    serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
    requestTimeoutMs: env.SUPABASE_REQUEST_TIMEOUT_MS,
  };
}

function blobStoreTarget(
  env: Environment,
  supabase: SupabaseProject | undefined,
  database: DatabaseTarget['kind'],
  problems: string[],
): BlobStoreTarget {
  const driver = env.BLOB_STORE ?? (env.SUPABASE_URL ? 'supabase' : 'database');
  switch (driver) {
    case 'supabase':
      if (!supabase) {
        if (!env.SUPABASE_URL && !env.SUPABASE_SERVICE_ROLE_KEY) {
          problems.push('BLOB_STORE=supabase needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY');
        }
        return { driver: 'database' };
      }
      return {
        driver: 'supabase',
        ...supabase,
        bucket: env.SUPABASE_STORAGE_BUCKET,
        fileSizeLimit: env.UPLOAD_MAX_FILE_MB * 1024 * 1024,
      };
    case 'database':
      if (database === 'supabase') {
        problems.push(
          'BLOB_STORE=database needs DATABASE_URL or the embedded database: over SUPABASE_URL alone bytes would ' +
            'travel through RPC; use BLOB_STORE=supabase (the default with SUPABASE_URL), s3 or filesystem',
        );
      }
      return { driver: 'database' };
    case 'filesystem':
      return { driver: 'filesystem', dir: env.BLOB_DIR ?? join(env.DATA_DIR, 'blobs') };
    case 's3': {
      const region = env.S3_REGION ?? env.AWS_REGION;
      if (!env.S3_BUCKET) problems.push('BLOB_STORE=s3 needs S3_BUCKET (and AWS credentials from the usual chain)');
      if (!region) problems.push('BLOB_STORE=s3 needs S3_REGION or AWS_REGION');
      return {
        driver: 's3',
        bucket: env.S3_BUCKET ?? '',
        region: region ?? '',
        endpoint: env.S3_ENDPOINT,
        forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
        keyPrefix: env.S3_KEY_PREFIX,
        requestTimeoutMs: env.S3_REQUEST_TIMEOUT_MS,
      };
    }
    default:
      return { driver: 'database' };
  }
}

/** OpenAI models that take image input: gpt-4o*, gpt-4.1*, gpt-5*, and the o-series (o1, o3, o4-mini, ...). */
export function isVisionModel(model: string): boolean {
  return /^(gpt-4o|gpt-4\.1|gpt-5|o\d)/i.test(model);
}

/** LOG_REDACT's paths, each checked by pino itself (its redact syntax: a.b, a["x-y"], *.c). */
function redactPaths(value: string, problems: string[]): string[] {
  const paths = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const path of paths) {
    try {
      pino({ redact: [path] }, { write: () => undefined });
    } catch (err) {
      problems.push(
        `LOG_REDACT: ${JSON.stringify(path)} is not a pino redact path (${(err as Error).message}); ` +
          'write paths like req.headers["x-forwarded-for"] or *.iban, comma-separated',
      );
    }
  }
  return paths;
}

/** localhost, 127.0.0.0/8, ::1 (and ::ffff:127.x): only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  if (!ipaddr.isValid(host)) return false;
  const address = ipaddr.process(host);
  return address.range() === 'loopback';
}
