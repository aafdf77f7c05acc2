import { DbFunctions } from './db-functions.port';
import type { SqlClient } from './sql-client.port';

/**
 * An open database, whatever the transport: the migration's functions (every store reads and
 * writes through them) and, where the transport has one, a SQL session (pg, PGlite) for what RPC
 * cannot do: migrations, LISTEN, the database blob store. Over Supabase's RPC `sql` is null.
 */
export abstract class DatabaseConnection {
  abstract readonly functions: DbFunctions;
  abstract readonly sql: SqlClient | null;
  /** For log lines: `PostgreSQL (DATABASE_URL)`, `Supabase (SUPABASE_URL)`, `embedded PGlite`. */
  abstract readonly description: string;
  abstract close(): Promise<void>;
}

/** A SQL session's connection: functions called with `select fn(...)` on it. */
export class SqlDatabaseConnection extends DatabaseConnection {
  readonly functions: DbFunctions;

  constructor(
    readonly sql: SqlClient,
    readonly description: string,
    functions: (sql: SqlClient) => DbFunctions,
  ) {
    super();
    this.functions = functions(sql);
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
