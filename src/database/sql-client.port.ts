/** What runs SQL: a pooled client, or one transaction's connection. */
export abstract class SqlExecutor {
  abstract query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements with no parameters (migrations). */
  abstract exec(script: string): Promise<void>;
}

/**
 * Port: the one way the app talks to PostgreSQL, whatever the transport (node-postgres for a
 * real server or Supabase's connection string, PGlite embedded). Queue semantics live in SQL
 * functions, so every transport behaves the same.
 */
export abstract class SqlClient extends SqlExecutor {
  /** Runs fn inside BEGIN/COMMIT on one connection; ROLLBACK when it throws. */
  abstract transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** LISTENs on a channel; resolves to a function that stops listening. */
  abstract listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  abstract close(): Promise<void>;
}
