/**
 * A latch for "something may have changed": set() before wait() makes wait() return at once, so a
 * change that lands between a read and the wait that follows it is never slept through.
 */
export class Wakeup {
  private pending = false;
  private release: (() => void) | null = null;

  set(): void {
    this.pending = true;
    this.release?.();
  }

  /** Resolves on the next set() (or at once if one came since the last wait), or on abort. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.release = null;
        this.pending = false;
        resolve();
      };
      this.release = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
