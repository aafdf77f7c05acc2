/** Domain errors: services throw these; the exception filter maps them to HTTP. */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class JobNotFound extends DomainError {
  readonly status = 404;
  constructor(id: string) {
    super(`job ${id} not found`);
  }
}

export class InvalidRequest extends DomainError {
  readonly status = 400;
}

export class PayloadTooLarge extends DomainError {
  readonly status = 413;
}

export class UnsupportedMediaType extends DomainError {
  readonly status = 415;
}

export class Conflict extends DomainError {
  readonly status = 409;
}

export class StorageUnavailable extends DomainError {
  readonly status = 503;
  constructor() {
    super('the job database is unreachable; try again shortly');
  }
}

/** An Idempotency-Key reused with a different upload: the first upload stands, the new one is refused. */
export class IdempotencyConflict extends DomainError {
  readonly status = 422;
}
