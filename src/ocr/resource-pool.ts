import { abortError } from './abort';

export class PoolClosedError extends Error {
  constructor() {
    super('The pool is closed');
    this.name = 'PoolClosedError';
  }
}

/**
 * A fixed number of long-lived resources (OCR workers), created on first demand. A task holds one
 * resource for its whole run, so a page's passes (recognise, orientation check, second reading)
 * stay on one slot and N slots mean at most N pages in work at once. Waiting tasks are served in
 * order; one whose signal fires while it waits leaves the queue without ever running.
 */
export class ResourcePool<T> {
  private readonly all = new Set<Promise<T>>();
  private readonly idle: T[] = [];
  private readonly waiting: Waiter<T>[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly create: () => Promise<T>,
    private readonly destroy: (resource: T) => Promise<void>,
  ) {}

  /** Resources started so far (for tests and figures). */
  get started(): number {
    return this.all.size;
  }

  async use<R>(task: (resource: T) => Promise<R>, signal?: AbortSignal): Promise<R> {
    const resource = await this.acquire(signal);
    try {
      return await task(resource);
    } finally {
      this.release(resource);
    }
  }

  /** Destroys every resource (busy ones too: shutdown comes after the worker drained). */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    for (const waiter of this.waiting.splice(0)) waiter.fail(new PoolClosedError());
    const all = [...this.all];
    this.all.clear();
    const settled = await Promise.allSettled(all);
    await Promise.allSettled(settled.map((s) => (s.status === 'fulfilled' ? this.destroy(s.value) : undefined)));
  }

  private acquire(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.closed) return Promise.reject(new PoolClosedError());
    const free = this.idle.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.all.size < this.size) return this.grow();
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        grant: (resource) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(resource);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(abortError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private grow(): Promise<T> {
    const creating = this.create();
    this.all.add(creating);
    creating.catch(() => {
      // A resource that failed to start frees its place; the next waiter makes its own attempt
      // (and gets its own error) instead of waiting for a release that may never come.
      this.all.delete(creating);
      const next = this.waiting.shift();
      if (next && !this.closed) this.grow().then(next.grant, next.fail);
      else next?.fail(new PoolClosedError());
    });
    return creating;
  }

  private release(resource: T): void {
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next) next.grant(resource);
    else this.idle.push(resource);
  }
}

interface Waiter<T> {
  grant: (resource: T) => void;
  fail: (error: unknown) => void;
}
