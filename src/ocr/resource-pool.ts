import { abortError } from '../common/abort';

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
 * order; one whose signal fires while it waits leaves the queue without ever running. A resource
 * that is no longer usable (its thread died or was killed) is destroyed when it comes back, and
 * its place is free for a new one.
 */
export class ResourcePool<T> {
  private readonly all = new Set<Promise<T>>();
  private readonly started = new Map<T, Promise<T>>();
  private readonly idle: T[] = [];
  private readonly waiting: Waiter<T>[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly create: () => Promise<T>,
    private readonly destroy: (resource: T) => Promise<void>,
    private readonly isUsable: (resource: T) => boolean = () => true,
  ) {}

  /** Resources started so far and not discarded (for tests and figures). */
  get startedCount(): number {
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
    this.started.clear();
    const settled = await Promise.allSettled(all);
    await Promise.allSettled(settled.map((s) => (s.status === 'fulfilled' ? this.destroy(s.value) : undefined)));
  }

  private acquire(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.closed) return Promise.reject(new PoolClosedError());
    for (let free = this.idle.pop(); free !== undefined; free = this.idle.pop()) {
      if (this.isUsable(free)) return Promise.resolve(free);
      this.discard(free);
    }
    if (this.all.size < this.size) return this.grow();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const waiter: Waiter<T> = {
        grant: (resource) => {
          if (settled) return false;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(resource);
          return true;
        },
        fail: (error) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        waiter.fail(abortError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private grow(): Promise<T> {
    const creating = this.create();
    this.all.add(creating);
    creating.then(
      (resource) => this.started.set(resource, creating),
      () => {
        // A resource that failed to start frees its place; the next waiter makes its own attempt
        // (and gets its own error) instead of waiting for a release that may never come.
        this.all.delete(creating);
        this.growForNextWaiter();
      },
    );
    return creating;
  }

  private growForNextWaiter(): void {
    const next = this.waiting.shift();
    if (!next) return;
    if (this.closed) return next.fail(new PoolClosedError());
    // A waiter that gave up meanwhile hands the new resource straight back.
    this.grow().then((resource) => {
      if (!next.grant(resource)) this.release(resource);
    }, next.fail);
  }

  private release(resource: T): void {
    if (this.closed) return;
    if (!this.isUsable(resource)) return this.discard(resource);
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      if (next.grant(resource)) return;
    }
    this.idle.push(resource);
  }

  private discard(resource: T): void {
    const creating = this.started.get(resource);
    this.started.delete(resource);
    if (creating) this.all.delete(creating);
    this.destroy(resource).catch(() => undefined);
    this.growForNextWaiter();
  }
}

interface Waiter<T> {
  /** False when the waiter already gave up: the caller keeps the resource. */
  grant: (resource: T) => boolean;
  fail: (error: unknown) => void;
}
