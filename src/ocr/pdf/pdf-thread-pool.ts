import type { Worker } from 'node:worker_threads';

export interface PdfThreadPoolSettings {
  /** Warm threads kept across owners; the one idle longest goes first. */
  maxIdle: number;
  /** Documents one thread reads before it is retired (bounds what pdf.js's caches can gather). */
  maxUses: number;
  /** A thread idle this long is stopped. */
  idleMs: number;
}

/**
 * Starting a thread and loading pdf.js in it costs 130-150 ms and about 180 ms of CPU; reading a
 * 100 KB text PDF in a warm one, 6-9 ms. The service keeps as many idle as WORKER_CONCURRENCY
 * (two by default): about 45 MB of RSS each, as while they read, given back 30 s after the last use.
 */
export const DEFAULT_PDF_THREAD_POOL: PdfThreadPoolSettings = { maxIdle: 2, maxUses: 100, idleMs: 30_000 };

interface IdleThread {
  worker: Worker;
  owner: string;
  uses: number;
  timer: NodeJS.Timeout;
  onExit: () => void;
}

/**
 * Warm PDF threads, each handed again only to the owner (tenant) whose document it last read: a
 * hostile file that could take over pdf.js in its thread would see that tenant's next documents,
 * never another tenant's. A thread that failed, crashed, ran out its budget or kept memory is
 * not given back (PdfSandbox decides); one that exits while idle is dropped.
 */
export class PdfThreadPool {
  private readonly idle: IdleThread[] = [];
  private closed = false;

  constructor(private readonly settings: PdfThreadPoolSettings = DEFAULT_PDF_THREAD_POOL) {}

  /** A warm thread last used for this owner, with the documents it has read; null when none is idle. */
  take(owner: string): { worker: Worker; uses: number } | null {
    // threadId is -1 once a thread has stopped, which can be before its 'exit' event has run.
    const index = this.idle.findLastIndex((t) => t.owner === owner && t.worker.threadId !== -1);
    if (index < 0) return null;
    const [thread] = this.idle.splice(index, 1);
    clearTimeout(thread.timer);
    thread.worker.off('exit', thread.onExit);
    thread.worker.ref();
    return { worker: thread.worker, uses: thread.uses };
  }

  /** Keeps a healthy thread for its owner's next document, or stops it when it has done its share. */
  give(owner: string, worker: Worker, uses: number): void {
    if (this.closed || uses >= this.settings.maxUses || this.settings.maxIdle <= 0 || worker.threadId === -1) {
      void worker.terminate();
      return;
    }
    const thread: IdleThread = {
      worker,
      owner,
      uses,
      timer: setTimeout(() => this.retire(thread), this.settings.idleMs).unref(),
      onExit: () => this.drop(thread),
    };
    worker.on('exit', thread.onExit);
    // An idle thread does not hold the process open.
    worker.unref();
    this.idle.push(thread);
    while (this.idle.length > this.settings.maxIdle) this.retire(this.idle[0]);
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Stops every idle thread; threads given back later are stopped at once. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.idle.splice(0);
    await Promise.all(
      threads.map((thread) => {
        clearTimeout(thread.timer);
        thread.worker.off('exit', thread.onExit);
        return thread.worker.terminate();
      }),
    );
  }

  private retire(thread: IdleThread): void {
    this.drop(thread);
    thread.worker.off('exit', thread.onExit);
    void thread.worker.terminate();
  }

  private drop(thread: IdleThread): void {
    clearTimeout(thread.timer);
    const index = this.idle.indexOf(thread);
    if (index >= 0) this.idle.splice(index, 1);
  }
}
