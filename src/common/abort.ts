import { DocumentError } from './document-error';

/**
 * The DocumentError to throw when the per-file signal fired (time limit or cancellation): the
 * signal's own reason when it is one, else a time-out. Shared by the extractors and the pipeline.
 */
export function abortError(signal: AbortSignal): DocumentError {
  const reason: unknown = signal.reason;
  if (reason instanceof DocumentError) return reason;
  const detail = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message}` : '';
  return new DocumentError('timeout', `Text extraction stopped at the per-file time limit${detail}`);
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/** Settles with the promise, or rejects as soon as the signal fires (the work itself may go on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * raceAbort for several steps against one signal with a single listener (a listener per step
 * costs more than a small file's steps): race each step, dispose once done.
 */
export function abortRace(signal: AbortSignal): { race<T>(step: Promise<T>): Promise<T>; dispose(): void } {
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  // It may fire after the last step, with nothing racing it.
  aborted.catch(() => undefined);
  return {
    race: <T>(step: Promise<T>) => Promise.race([step, aborted]),
    dispose: () => signal.removeEventListener('abort', onAbort),
  };
}
