/**
 * The embedded database in a thread of its own: PGlite runs PostgreSQL's WebAssembly build
 * synchronously, so on the main thread every statement (and every fsync of a commit) stopped the
 * HTTP server and the worker for its whole length. Here it serves ThreadedPgliteSqlClient's
 * requests one message at a time, in the order they come, as PGlite would on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PgliteSqlClient } from './pglite-sql.client';
import type { SqlExecutor } from './sql-client.port';
import type {
  PgliteThreadMessage,
  PgliteThreadOptions,
  PgliteThreadRequest,
  ThreadError,
} from './pglite-thread.protocol';

const port = parentPort!;
const send = (message: PgliteThreadMessage): void => port.postMessage(message);

function toThreadError(err: unknown): ThreadError {
  if (!(err instanceof Error)) {
    // Emscripten's file layer throws objects that are not Errors ({name: 'ErrnoError', errno}).
    if (typeof err !== 'object' || err === null) return { name: 'Error', message: String(err), fields: {} };
    const { name, message } = err as { name?: unknown; message?: unknown };
    const fields = { ...(err as Record<string, unknown>) };
    return { name: String(name ?? 'Error'), message: typeof message === 'string' ? message : '', fields };
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) if (typeof value !== 'function') fields[key] = value;
  return { name: err.name, message: err.message, fields };
}

/** A transaction held open between `begin` and `end`: its connection, and how to end it. */
interface OpenTransaction {
  tx: SqlExecutor;
  end(commit: boolean): Promise<void>;
}

const ROLLBACK = Symbol('rollback');

async function serve(sql: PgliteSqlClient): Promise<void> {
  const transactions = new Map<number, OpenTransaction>();
  const listeners = new Map<number, () => Promise<void>>();
  let nextId = 1;

  const begin = (): Promise<number> =>
    new Promise((opened, failed) => {
      const id = nextId++;
      let finish!: (commit: boolean) => void;
      const decided = new Promise<boolean>((resolve) => (finish = resolve));
      const done = sql
        .transaction(async (tx) => {
          transactions.set(id, {
            tx,
            end: async (commit) => {
              finish(commit);
              await done;
            },
          });
          opened(id);
          if (!(await decided)) throw ROLLBACK;
        })
        .catch((err: unknown) => {
          if (err !== ROLLBACK) throw err;
        })
        .finally(() => transactions.delete(id));
      done.catch(failed); // BEGIN itself failed: the transaction never opened
    });

  const on = (tx: number | undefined): SqlExecutor => {
    if (tx === undefined) return sql;
    const open = transactions.get(tx);
    if (!open) throw new Error(`no open transaction ${tx}`);
    return open.tx;
  };

  const handle = async (request: PgliteThreadRequest): Promise<unknown> => {
    switch (request.op) {
      case 'query':
        return on(request.tx).query(request.sql, request.params);
      case 'exec':
        return on(request.tx).exec(request.script);
      case 'begin':
        return begin();
      case 'end': {
        const open = transactions.get(request.tx);
        if (!open) throw new Error(`no open transaction ${request.tx}`);
        return open.end(request.commit);
      }
      case 'listen': {
        const listener = nextId++;
        listeners.set(
          listener,
          await sql.listen(request.channel, (payload) => send({ kind: 'notify', listener, payload })),
        );
        return listener;
      }
      case 'unlisten': {
        const stop = listeners.get(request.listener);
        listeners.delete(request.listener);
        return stop?.();
      }
      case 'close':
        return sql.close(); // the client ends the thread once this is answered
    }
  };

  port.on('message', (request: PgliteThreadRequest) => {
    handle(request).then(
      (value) => send({ kind: 'reply', id: request.id, ok: true, value }),
      (err: unknown) => send({ kind: 'reply', id: request.id, ok: false, error: toThreadError(err) }),
    );
  });
}

const { dataDir } = workerData as PgliteThreadOptions;
PgliteSqlClient.open(dataDir, {
  // The process must stop, not this thread alone: tell it, then stop PGlite here at once.
  onPanic: (reason) => {
    send({ kind: 'panic', reason });
    process.exit(1);
  },
}).then(
  async (sql) => {
    await serve(sql);
    send({ kind: 'ready' });
  },
  (err: unknown) => send({ kind: 'open-failed', error: toThreadError(err) }),
);
