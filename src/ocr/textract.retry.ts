import { setTimeout as sleep } from 'node:timers/promises';
import { abortError } from '../common/abort';
import { AwsLikeError, isRetryable, toDocumentError } from './textract.errors';

export interface RetrySettings {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** Exponential backoff with full jitter: random(0, min(maxDelayMs, baseDelayMs * 2^attempt)). */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs an AWS call until it succeeds, fails for good, or the signal fires. Throttling, 5xx and
 * network failures are retried; everything else becomes a DocumentError at once (toDocumentError).
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  settings: RetrySettings,
  signal: AbortSignal,
  toError: (error: AwsLikeError, attempts: number) => Error = toDocumentError,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw abortError(signal);
    try {
      return await call();
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      const aws = error as AwsLikeError;
      if (!isRetryable(aws) || attempt >= settings.maxAttempts) throw toError(aws, attempt);
      const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling, undefined, { signal }).catch(() => undefined);
    }
  }
}
