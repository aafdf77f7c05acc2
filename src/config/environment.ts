import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toNumber = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
const blankToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * Every environment variable the service reads, with its default and its rule. Validated once
 * at boot: a bad value stops the process with a message naming the variable.
 */
export class Environment {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /**
   * The address the API listens on. Unset: 127.0.0.1 (this machine only), or 0.0.0.0 with
   * NODE_ENV=production. On a non-loopback address the server needs an API key (or AUTH_DISABLED).
   */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^(localhost|[0-9.]+|[0-9a-fA-F:]+|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/, {
    message: 'HOST must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name',
  })
  HOST?: string = undefined;

  /** Read only to tell production (`production`): then API keys are required wherever it listens. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  NODE_ENV?: string = undefined;

  /**
   * `true`: serve without API keys on purpose, on any address, in production too: every request is
   * the default tenant's admin and keys are not checked.
   */
  @IsIn(['true', 'false'])
  AUTH_DISABLED = 'false';

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// or postgresql:// connection string' })
  DATABASE_URL?: string = undefined;

  /**
   * The Supabase project (Project Settings -> API -> Project URL). With SUPABASE_SERVICE_ROLE_KEY and
   * no DATABASE_URL, jobs go through supabase-js RPC; with or without DATABASE_URL, file bytes go to
   * Supabase Storage unless BLOB_STORE says otherwise.
   */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  SUPABASE_URL?: string = undefined;

  /** The project's service_role key (secret: it bypasses row level security); never logged. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  SUPABASE_SERVICE_ROLE_KEY?: string = undefined;

  /** The private Storage bucket for file bytes; created at boot if missing. */
  @Matches(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, {
    message: 'SUPABASE_STORAGE_BUCKET must be 3 to 63 lowercase letters, digits, dots, _ or -',
  })
  SUPABASE_STORAGE_BUCKET = 'doc-inbox';

  /** One Supabase request (RPC or Storage) gives up after this long. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  SUPABASE_REQUEST_TIMEOUT_MS = 30_000;

  @IsString()
  @IsNotEmpty()
  DATA_DIR = './data';

  @IsIn(['debug', 'info', 'warn', 'error', 'silent'])
  LOG_LEVEL = 'info';

  /** Apply pending migrations at boot; false: refuse to start until `npm run migrate` (or the CLI) did. */
  @IsIn(['true', 'false'])
  MIGRATE_ON_BOOT = 'true';

  /** The server and `npm run migrate` retry an unreachable DATABASE_URL this long (0: one try). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3600)
  DATABASE_BOOT_TIMEOUT_SECONDS = 60;

  /** A separate worker's limit for the same; unset: it keeps retrying until the database answers. */
  @Transform(blankToUndefined)
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  WORKER_DATABASE_BOOT_TIMEOUT_SECONDS?: number = undefined;

  /** application_name of this process's connections; unset: doc-inbox-server, -worker or -migrate. */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^[\x20-\x7e]{1,63}$/, {
    message: 'DATABASE_APPLICATION_NAME must be 1 to 63 printable ASCII characters (PostgreSQL keeps no more)',
  })
  DATABASE_APPLICATION_NAME?: string = undefined;

  // Worker
  @Transform(toNumber)
  @IsNumber()
  @Min(0.05)
  @Max(3600)
  WORKER_POLL_INTERVAL_SECONDS = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WORKER_CONCURRENCY = 2;

  /** Whether src/main.ts also runs the worker: auto = yes on the embedded database, no on PostgreSQL. */
  @IsIn(['auto', 'true', 'false'])
  WORKER_IN_SERVER = 'auto';

  @Transform(toInt)
  @IsInt()
  @Min(5)
  @Max(3600)
  JOB_LEASE_SECONDS = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  JOB_MAX_ATTEMPTS = 3;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  WORKER_SHUTDOWN_GRACE_SECONDS = 25;

  /** On SIGTERM, how long requests in flight (uploads) may take to finish before they are cut. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  HTTP_SHUTDOWN_GRACE_SECONDS = 25;

  /** A separate worker serves /health and /health/ready on this port (containers); unset: none. */
  @Transform(blankToUndefined)
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_HEALTH_PORT?: number = undefined;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  FILE_TIMEOUT_SECONDS = 120;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10000)
  MAX_PAGES = 50;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  MAX_IMAGE_PIXELS = 40_000_000;

  // Uploads
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  UPLOAD_MAX_FILES = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1024)
  UPLOAD_MAX_FILE_MB = 25;

  /** An upload whose body sends no bytes for this long is answered 408 and its stored files removed. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  UPLOAD_IDLE_TIMEOUT_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE = 600;

  // Retention (purged by the worker every hour and once at boot)
  /** Days after a job ends that its files' bytes and page text are deleted (results stay); unset or 0: kept. */
  @Transform(blankToUndefined)
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'RETENTION_FILES_DAYS must be a whole number of days (0 or unset: keep files forever)' })
  @Min(0, { message: 'RETENTION_FILES_DAYS must not be negative' })
  @Max(36_500, { message: 'RETENTION_FILES_DAYS must be at most 36500 days' })
  RETENTION_FILES_DAYS?: number = undefined;

  /** Days after a job ends that the whole job is deleted; unset or 0: kept. */
  @Transform(blankToUndefined)
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'RETENTION_JOBS_DAYS must be a whole number of days (0 or unset: keep jobs forever)' })
  @Min(0, { message: 'RETENTION_JOBS_DAYS must not be negative' })
  @Max(36_500, { message: 'RETENTION_JOBS_DAYS must be at most 36500 days' })
  RETENTION_JOBS_DAYS?: number = undefined;

  // Blob storage (uploaded file bytes)
  /**
   * Where file bytes live: the database, a directory (BLOB_DIR), an S3-compatible bucket, or
   * Supabase Storage. Unset: `supabase` when SUPABASE_URL is set, else `database`.
   */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsIn(['database', 'filesystem', 's3', 'supabase'])
  BLOB_STORE?: string = undefined;

  /** BLOB_STORE=filesystem: the directory; unset: ${DATA_DIR}/blobs. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  BLOB_DIR?: string = undefined;

  /** BLOB_STORE=s3: the bucket (AWS S3, Cloudflare R2, MinIO). */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'S3_BUCKET must be an S3 bucket name' })
  S3_BUCKET?: string = undefined;

  /** Region for S3_BUCKET when it differs from AWS_REGION (R2 takes `auto`). */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9-]{2,32}$/, { message: 'S3_REGION must look like eu-west-1 (or auto for R2)' })
  S3_REGION?: string = undefined;

  /** Path-style URLs (endpoint/bucket/key): MinIO and most self-hosted S3 need it. */
  @IsIn(['true', 'false'])
  S3_FORCE_PATH_STYLE = 'false';

  /** Prepended to every blob key in the bucket, so the orphan sweep never touches other objects. */
  @Matches(/^([A-Za-z0-9_-][A-Za-z0-9._-]*\/)*$/, {
    message: 'S3_KEY_PREFIX must be empty or path segments each ending in /, e.g. inbox-blobs/',
  })
  S3_KEY_PREFIX = 'inbox-blobs/';

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  S3_REQUEST_TIMEOUT_MS = 60_000;

  /** How often a blob no file row references (an upload cut short by a crash) is looked for; 0: never. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_080)
  BLOB_SWEEP_INTERVAL_MINUTES = 30;

  // Webhooks
  /**
   * The embedded default tenant's Standard Webhooks signing secret ('whsec_' + base64), set at
   * worker boot; unset: one is generated (and kept) when the tenant has none.
   */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/, {
    message: 'WEBHOOK_SECRET must be whsec_ followed by the base64 of at least 16 random bytes',
  })
  WEBHOOK_SECRET?: string = undefined;

  /** Deliver to loopback, private, link-local and other non-public addresses (tests, a private network). */
  @IsIn(['true', 'false'])
  WEBHOOK_ALLOW_PRIVATE = 'false';

  /** One delivery attempt gives up after this long (the delivery's lease is this plus 5 s). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(60)
  WEBHOOK_TIMEOUT_SECONDS = 10;

  /** Deliveries a worker sends at once. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_CONCURRENCY = 16;

  /** The first retry's delay; each next one doubles (with jitter, at most 6 h), for up to a day. */
  @Transform(toNumber)
  @IsNumber()
  @Min(0.05)
  @Max(3600)
  WEBHOOK_RETRY_BASE_SECONDS = 5;

  // OCR
  @IsIn(['auto', 'textract', 'paddle', 'tesseract', 'none'])
  OCR_PROVIDER = 'auto';

  @Matches(/^[a-z_]{3,8}(\+[a-z_]{3,8})*$/, {
    message: 'OCR_LANGUAGES must be tesseract language codes joined by +, e.g. eng+deu',
  })
  OCR_LANGUAGES = 'eng';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(32)
  OCR_WORKERS = 2;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'AWS_REGION must look like eu-west-1' })
  AWS_REGION?: string = undefined;

  /** Read only to tell whether AWS credentials exist (OCR_PROVIDER=auto); the SDK reads them itself. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  AWS_ACCESS_KEY_ID?: string = undefined;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  AWS_PROFILE?: string = undefined;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  AWS_WEB_IDENTITY_TOKEN_FILE?: string = undefined;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  AWS_CONTAINER_CREDENTIALS_FULL_URI?: string = undefined;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI?: string = undefined;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  TEXTRACT_ENDPOINT?: string = undefined;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  TEXTRACT_S3_BUCKET?: string;

  /** S3 endpoint for TEXTRACT_S3_BUCKET and S3_BUCKET (R2, MinIO, LocalStack, tests); unset: AWS's own. */
  @Transform(blankToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  S3_ENDPOINT?: string = undefined;

  // Classifier
  @IsIn(['auto', 'openai', 'local'])
  CLASSIFIER_PROVIDER = 'auto';

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  OPENAI_API_KEY?: string = undefined;

  @IsString()
  OPENAI_MODEL = 'gpt-4o';

  @Transform(blankToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  OPENAI_BASE_URL?: string = undefined;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  OPENAI_CONCURRENCY = 4;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  OPENAI_TIMEOUT_MS = 60_000;

  @Transform(toInt)
  @IsInt()
  @Min(200)
  @Max(1_000_000)
  CLASSIFIER_MAX_INPUT_TOKENS = 6000;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  CATEGORIES_FILE?: string = undefined;

  /**
   * Pages whose text is missing or poor go to the OpenAI classifier as images too: `auto` when
   * OPENAI_MODEL is known to read images (gpt-4o*, gpt-4.1*, gpt-5*, o-series), `off` never.
   */
  @IsIn(['auto', 'off'])
  CLASSIFIER_VISION = 'auto';

  // Observability
  /** When set, GET /metrics takes `Authorization: Bearer <METRICS_TOKEN>`; unset: open, like /health. */
  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,512}$/, {
    message: 'METRICS_TOKEN must be 16 to 512 printable ASCII characters without spaces (e.g. openssl rand -hex 32)',
  })
  METRICS_TOKEN?: string = undefined;

  /**
   * More pino redact paths, comma-separated (e.g. `req.headers["x-forwarded-for"],*.iban`), on top of
   * the built-in list in src/common/logging.ts (auth headers, cookies, the configuration's secrets).
   */
  @IsString()
  LOG_REDACT = '';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; throws ConfigError naming every bad variable. */
export function parseEnvironment(env: NodeJS.ProcessEnv): Environment {
  const known = Object.keys(new Environment());
  const raw: Record<string, unknown> = {};
  // Only declared variables reach the config object; PATH, HOME and the like are not ours.
  for (const key of Object.keys(env)) if (known.includes(key) && env[key] !== undefined) raw[key] = env[key];
  const parsed = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const errors = validateSync(parsed, { skipMissingProperties: false });
  const problems = errors.map((e) => {
    const shown = isSecret(e.property) ? '(hidden)' : JSON.stringify(e.value);
    return `${e.property}=${shown}: ${Object.values(e.constraints ?? {}).join('; ')}`;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed;
}

function isSecret(key: string): boolean {
  return /KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL/.test(key);
}
