import { DomainError } from '../common/errors';

/** What a client is told when the blob store fails; the cause goes to the log. */
export const FILE_STORE_UNAVAILABLE = 'the file store is unavailable; try again shortly';

/** No blob under this key (never written, deleted, or swept). */
export class BlobNotFound extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} not found`);
    this.name = 'BlobNotFound';
  }
}

/** A key that could escape its tenant's prefix or the driver's namespace (`..`, `/x`, `a//b`, ...). */
export class InvalidBlobKey extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid blob key ${JSON.stringify(key.slice(0, 200))}: ${reason}`);
    this.name = 'InvalidBlobKey';
  }
}

/**
 * The blob store itself failed (refused credentials, missing bucket, disk full, database
 * error): our set-up, not the client's upload, so the API answers 503 and a worker retries the
 * job later. The message names the store and the cause, never a secret, and is for the
 * operator: clients (and a job's results) are told only that the file store is unavailable.
 */
export class BlobStoreUnavailable extends DomainError {
  readonly status = 503;
  override readonly clientMessage = FILE_STORE_UNAVAILABLE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
