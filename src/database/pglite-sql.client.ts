import { mkdirSync } from 'node:fs';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { DURABLE_START_PARAMS, DurableNodeFs, type SyncDescriptor } from './durable-node-fs';
import { SqlClient, SqlExecutor } from './sql-client.port';

/** PostgreSQL's log line for a PANIC, as PGlite prints it: `2026-12-04 20:32:23.354 UTC [42] PANIC:  ...`. */
const PANIC_LINE = /^\S+ \S+ \S+ \[\d+\] PANIC:\s+(.*)$/;

/** What to do on a PANIC: by default say why in one line and end the process. */
export type PanicHandler = (reason: string) => never;

const exitOnPanic: PanicHandler = (reason) => {
  console.error(
    `Doc Inbox stops: the embedded database hit a PANIC (${reason}); start it again to recover ` +
      'from its WAL, after freeing disk space if the disk is full',
  );
  process.exit(1);
};

/**
 * PostgreSQL answers a PANIC (a WAL write that failed: a full disk) by stopping and recovering
 * from its WAL on the next start. PGlite reports the PANIC as an error and carries on with the
 * backend broken: its next statement, even the ROLLBACK of its own transaction wrapper, spins
 * forever and the process stops answering. So the PANIC's log line, printed while the failing
 * statement is still running, stops PGlite there (onPanic must not return), before it runs
 * anything else; started again, it recovers. (`Aborted()` is WebAssembly's own line for the
 * abort that follows.)
 */
function watchForPanic(onPanic: PanicHandler): (line: string) => boolean {
  return (line) => {
    const panic = PANIC_LINE.exec(line)?.[1] ?? (line === 'Aborted()' ? 'the WebAssembly server aborted' : undefined);
    if (panic !== undefined) onPanic(panic);
    return false; // PGlite prints the line either way
  };
}

class PgliteExecutor extends SqlExecutor {
  constructor(private readonly db: PGlite | Transaction) {
    super();
  }
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.db.query<T>(sql, params);
    return result.rows;
  }
  async exec(script: string): Promise<void> {
    await this.db.exec(script);
  }
}

/**
 * bytea read through Buffer's native hex codec (PGlite's own JavaScript codec takes 10 ms to read
 * a 100 KB document; this takes 1 ms), and sent as the bytes themselves: PGlite binds a typed
 * array in binary format, so the WebAssembly server copies it instead of parsing a 200 KB hex
 * string that PGlite first measures and encodes character by character in JavaScript (about a
 * third of the embedded server's time under concurrent uploads).
 */
const BYTEA_PARSERS = { [types.BYTEA]: (hex: string) => Buffer.from(hex.slice(2), 'hex') };
// PGlite types a serializer as returning a string; its bind sends an ArrayBuffer view as binary.
const sendAsBinary = ((bytes: Uint8Array) => bytes) as unknown as (bytes: Uint8Array) => string;
const BYTEA_SERIALIZERS = { [types.BYTEA]: sendAsBinary };

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) persisted under a directory: the zero-set-up
 * default. It serves one process; separate workers need a real PostgreSQL. On disk its commits
 * are fsynced, as PostgreSQL's are (./durable-node-fs.ts).
 */
export class PgliteSqlClient extends SqlClient {
  private readonly executor: PgliteExecutor;

  private constructor(private readonly db: PGlite) {
    super();
    this.executor = new PgliteExecutor(db);
  }

  /**
   * dataDir undefined keeps the database in memory (tests). syncDescriptor is for tests to watch;
   * onPanic for a thread that must tell its process (./pglite.thread.ts).
   */
  static async open(
    dataDir?: string,
    options: { syncDescriptor?: SyncDescriptor; onPanic?: PanicHandler } = {},
  ): Promise<PgliteSqlClient> {
    const codecs = {
      parsers: BYTEA_PARSERS,
      serializers: BYTEA_SERIALIZERS,
      onStderr: watchForPanic(options.onPanic ?? exitOnPanic),
    };
    if (!dataDir) return new PgliteSqlClient(await PGlite.create(codecs));
    mkdirSync(dataDir, { recursive: true });
    const fs = new DurableNodeFs(dataDir, options.syncDescriptor);
    const db = await PGlite.create({ ...codecs, fs, startParams: [...DURABLE_START_PARAMS] });
    try {
      fs.syncNewCluster();
    } catch (err) {
      await db.close();
      throw err;
    }
    return new PgliteSqlClient(db);
  }

  query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return this.executor.query<T>(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.executor.exec(script);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new PgliteExecutor(tx)));
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    return this.db.listen(channel, onNotify);
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
