import { describeDatabaseError, isDatabaseUnreachable } from './database-errors';

export interface RetryOptions {
  /** Give up after this long; undefined: keep trying. */
  timeoutMs?: number;
  /** What is being reached, for the log line (`DATABASE_URL`). */
  what: string;
  /** The setting that sets timeoutMs, named when giving up. */
  limitSetting?: string;
  /** Called once per failed try that will be retried, with one line saying so. */
  onRetry: (line: string) => void;
  /** First pause; doubles each try up to maxDelayMs, with ±20 % jitter so workers spread out. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Which errors are worth waiting out; default: the database is unreachable. */
  retryable?: (err: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** The database stayed unreachable for the whole allowed time. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string, options: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseUnreachableError';
  }
}

/**
 * Runs attempt(remainingMs) until it succeeds, retrying with capped exponential backoff while
 * the database is unreachable. Other errors (a wrong password, a failing migration) are thrown
 * at once: waiting would not mend them.
 */
export async function retryWhileUnreachable<T>(
  attempt: (remainingMs: number | undefined) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 10_000;
  const retryable = options.retryable ?? isDatabaseUnreachable;
  const started = now();
  const deadline = options.timeoutMs === undefined ? undefined : started + options.timeoutMs;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(deadline === undefined ? undefined : Math.max(deadline - now(), 0));
    } catch (err) {
      if (!retryable(err)) throw err;
      const reason = describeDatabaseError(err);
      const base = Math.min(initial * 2 ** (tries - 1), max);
      let delay = Math.round(base * (0.8 + 0.4 * random()));
      if (deadline !== undefined) {
        const left = deadline - now();
        if (left <= 0) {
          const seconds = Math.round((now() - started) / 1000);
          throw new DatabaseUnreachableError(
            `${reason} (gave up after ${tries} ${tries === 1 ? 'try' : 'tries'} in ${seconds} s` +
              `${options.limitSetting ? `, ${options.limitSetting}` : ''})`,
            { cause: err },
          );
        }
        delay = Math.min(delay, left);
      }
      const state = isDatabaseUnreachable(err) ? 'unreachable' : 'not ready';
      options.onRetry(`${options.what} ${state} (try ${tries}): ${reason}; next try in ${formatSeconds(delay)}`);
      await sleep(delay);
    }
  }
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
