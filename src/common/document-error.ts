import type { TokenUsage } from '../classifier/classifier.port';

/**
 * A failure that belongs to one document, not to the job or the worker: the pipeline records it
 * as that file's error and goes on with the next file. `retryable` marks transient causes
 * (provider outage, rate limit) for which the whole job should be retried later.
 */
export class DocumentError extends Error {
  /** Tokens a paid provider spent before it failed (a refusal still costs), for the job's sum. */
  usage?: TokenUsage;

  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'DocumentError';
  }
}
