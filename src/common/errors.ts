/** Domain errors: services throw these; the exception filter maps them to HTTP. */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  /** Response headers that go with the status (Retry-After on a 429). */
  readonly headers: Record<string, string> = {};
  /**
   * Set when the message is for the operator (a path, a bucket, a driver's words): the client is
   * told this instead, with an errorId the message is logged under.
   */
  readonly clientMessage?: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** At most this many characters of a client's id are echoed back in a message. */
const MAX_ID_IN_MESSAGE = 64;

/** A client-supplied id, bounded for an error message: a 10,000-character id is not echoed whole. */
export function idForMessage(id: string): string {
  return id.length <= MAX_ID_IN_MESSAGE ? id : `${id.slice(0, MAX_ID_IN_MESSAGE)}… (${id.length} characters)`;
}

export class JobNotFound extends DomainError {
  readonly status = 404;
  constructor(id: string) {
    super(`job ${idForMessage(id)} not found`);
  }
}

/** The job exists but has no document at that position. */
export class DocumentNotFound extends DomainError {
  readonly status = 404;
  constructor(jobId: string, position: number) {
    super(`job ${idForMessage(jobId)} has no document at position ${position}`);
  }
}

/** The job exists but has no uploaded file at that position. */
export class FileNotFound extends DomainError {
  readonly status = 404;
  constructor(jobId: string, position: number, why = 'no file') {
    super(`job ${idForMessage(jobId)} has ${why} at position ${position}`);
  }
}

/** The file's bytes were deleted by retention (RETENTION_FILES_DAYS); its results are kept. */
export class FileGone extends DomainError {
  readonly status = 410;
  constructor(jobId: string, position: number, purgedAt: Date) {
    super(
      `file ${position} of job ${idForMessage(jobId)} was purged on ${purgedAt.toISOString()} ` +
        '(retention: RETENTION_FILES_DAYS); its results are kept, its bytes and text are not',
    );
  }
}

/** A per-tenant rate limit was reached: 429 with Retry-After, saying when to come back. */
export class RateLimited extends DomainError {
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

export class InvalidRequest extends DomainError {
  readonly status = 400;
}

export class PayloadTooLarge extends DomainError {
  readonly status = 413;
}

/** The client stopped sending the request body. */
export class RequestTimeout extends DomainError {
  readonly status = 408;
}

export class UnsupportedMediaType extends DomainError {
  readonly status = 415;
}

/** The request is valid but the resource's current state does not allow it. */
export class Conflict extends DomainError {
  readonly status = 409;
}

/** Retry asked of a job that is not failed or cancelled (pending, processing, completed). */
export class JobNotRetryable extends Conflict {
  constructor(id: string, status: string) {
    super(`job ${idForMessage(id)} is ${status}; only a failed or cancelled job can be retried`);
  }
}

/**
 * An Idempotency-Key already used for a different upload: answering with the other job would
 * silently lose this one (422, as in the IETF idempotency-key draft).
 */
export class IdempotencyConflict extends DomainError {
  readonly status = 422;
  constructor(key: string, existingJobId: string) {
    super(
      `Idempotency-Key '${idForMessage(key)}' was already used for a different upload (job ${existingJobId}); ` +
        'send a new key for a new upload',
    );
  }
}

export class StorageUnavailable extends DomainError {
  readonly status = 503;
  constructor() {
    super('the job database is unreachable; try again shortly');
  }
}

/** What a client is told when a disk is full; where, and which, goes to the log. */
export const STORAGE_FULL = "the server's storage is full: nothing of this request was kept; try again later";

/** Node's code for a full disk or quota, and PostgreSQL's SQLSTATE disk_full. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', '53100']);

/** Whether an error, or one it was caused by, says a disk is full. */
export function isStorageFull(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A disk the service writes to (the blob directory's, the database's) is full: the server's
 * condition, not the client's upload, so a 503 the client can retry, and the cause logged under
 * an errorId for the operator, who must free space.
 */
export class StorageFull extends DomainError {
  readonly status = 503;
  override readonly clientMessage = STORAGE_FULL;
  constructor(cause: unknown) {
    super(`disk full: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.cause = cause;
  }
}
