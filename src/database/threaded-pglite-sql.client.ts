import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SqlClient, SqlExecutor } from './sql-client.port';
import type {
  PgliteThreadMessage,
  PgliteThreadOptions,
  PgliteThreadRequest,
  ThreadError,
} from './pglite-thread.protocol';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Request = DistributiveOmit<PgliteThreadRequest, 'id'>;

/**
 * The thread's compiled file next to this one. Under ts-jest this file is the .ts source, and the
 * thread (which imports other modules of the project) cannot run from source: it runs from dist/,
 * which `npm test` builds first.
 */
function threadFile(): string {
  if (extname(__filename) === '.js') return join(__dirname, 'pglite.thread.js');
  const built = join(__dirname, '..', '..', 'dist', 'database', 'pglite.thread.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build (npm test does)`);
  return built;
}

/** An error from the thread as the caller would have had it: same name, message and fields. */
function fromThreadError(error: ThreadError): Error {
  const err = new Error(error.message);
  Object.assign(err, error.fields);
  err.name = error.name;
  return err;
}

/** bytea arrives as a Uint8Array (a clone drops Buffer's class): a Buffer again, without a copy. */
function revive<T>(rows: T[]): T[] {
  for (const row of rows as Record<string, unknown>[]) {
    for (const [key, value] of Object.entries(row)) {
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
        row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    }
  }
  return rows;
}

class ThreadExecutor extends SqlExecutor {
  constructor(
    private readonly call: (request: Request) => Promise<unknown>,
    private readonly tx?: number,
  ) {
    super();
  }
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return revive((await this.call({ op: 'query', sql, params, tx: this.tx })) as T[]);
  }
  async exec(script: string): Promise<void> {
    await this.call({ op: 'exec', script, tx: this.tx });
  }
}

/**
 * The embedded database (PgliteSqlClient, on disk) run in a worker thread (./pglite.thread.ts):
 * the statements, the WebAssembly server and the fsync of every commit run beside the event
 * loop instead of on it, so uploads, the API and the worker's JavaScript use the second core
 * while PostgreSQL works. Statements reach it in the order they are sent, as on the main thread.
 */
export class ThreadedPgliteSqlClient extends SqlClient {
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private readonly listeners = new Map<number, (payload: string) => void>();
  private readonly executor: ThreadExecutor;
  private nextId = 1;
  private closing = false;

  private constructor(private readonly thread: Worker) {
    super();
    this.executor = new ThreadExecutor((request) => this.call(request));
    thread.on('message', (message: PgliteThreadMessage) => this.receive(message));
    thread.on('error', (err) => this.stop(`its thread failed: ${err.message}`));
    thread.on('exit', (code) => {
      if (!this.closing) this.stop(`its thread ended (exit code ${code})`);
    });
  }

  static async open(dataDir: string): Promise<ThreadedPgliteSqlClient> {
    const workerData: PgliteThreadOptions = { dataDir };
    const thread = new Worker(threadFile(), { workerData });
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        thread.off('message', onMessage).off('error', settle).off('exit', onExit);
        if (!err) return resolve();
        void thread.terminate();
        reject(err);
      };
      const onMessage = (message: PgliteThreadMessage): void => {
        if (message.kind === 'ready') settle();
        else if (message.kind === 'open-failed') settle(fromThreadError(message.error));
      };
      const onExit = (code: number): void => settle(new Error(`its thread ended (exit code ${code})`));
      thread.on('message', onMessage).on('error', settle).on('exit', onExit);
    });
    return new ThreadedPgliteSqlClient(thread);
  }

  query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return this.executor.query<T>(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.executor.exec(script);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const tx = (await this.call({ op: 'begin' })) as number;
    let result: T;
    try {
      result = await fn(new ThreadExecutor((request) => this.call(request), tx));
    } catch (err) {
      await this.call({ op: 'end', tx, commit: false }).catch(() => undefined);
      throw err;
    }
    await this.call({ op: 'end', tx, commit: true });
    return result;
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const listener = (await this.call({ op: 'listen', channel })) as number;
    this.listeners.set(listener, onNotify);
    return async () => {
      this.listeners.delete(listener);
      await this.call({ op: 'unlisten', listener });
    };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const exited = new Promise((resolve) => this.thread.once('exit', resolve));
    await this.call({ op: 'close' }).catch(() => undefined);
    await this.thread.terminate();
    await exited;
    // Statements sent before close and never answered must not wait forever.
    for (const pending of this.pending.values()) pending.reject(new Error('the embedded database is closed'));
    this.pending.clear();
  }

  private call(request: Request): Promise<unknown> {
    if (this.closing && request.op !== 'close') return Promise.reject(new Error('the embedded database is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread.postMessage({ ...request, id } as PgliteThreadRequest);
    });
  }

  private receive(message: PgliteThreadMessage): void {
    switch (message.kind) {
      case 'reply': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) pending?.resolve(message.value);
        else pending?.reject(fromThreadError(message.error));
        return;
      }
      case 'notify':
        this.listeners.get(message.listener)?.(message.payload);
        return;
      case 'panic':
        this.stop(
          `hit a PANIC (${message.reason}); start it again to recover from its WAL, after freeing disk space if the disk is full`,
        );
        return;
      default:
        return;
    }
  }

  /**
   * The database is gone with its thread (a PANIC, or WebAssembly aborting): nothing more can be
   * stored, and nothing in this process would notice by itself, so the process stops, saying why
   * in one line (a supervisor starts it again; PostgreSQL recovers from its WAL).
   */
  private stop(why: string): never {
    console.error(`Doc Inbox stops: the embedded database ${why}`);
    process.exit(1);
  }
}
