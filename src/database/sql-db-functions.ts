import { DbFunctions, type FunctionArgs } from './db-functions.port';
import type { SqlExecutor } from './sql-client.port';

const FUNCTION_NAME = /^inbox_[a-z0-9_]+$/;
const PARAMETER_NAME = /^p_[a-z0-9_]+$/;

/**
 * DbFunctions over a SQL connection (node-postgres or PGlite): `select fn(p_a => $1, ...)`.
 * Scalars go as untyped parameters, which PostgreSQL types from the function's signature; arrays
 * and objects go as jsonb, as they do over RPC; dates as ISO text; bytes as bytea. Undefined arguments are left out, so the
 * function's defaults apply.
 */
export class SqlDbFunctions extends DbFunctions {
  constructor(private readonly sql: SqlExecutor) {
    super();
  }

  async call<T>(fn: string, args: FunctionArgs): Promise<T> {
    if (!FUNCTION_NAME.test(fn)) throw new Error(`not a Doc Inbox function: ${fn}`);
    const params: unknown[] = [];
    const named: string[] = [];
    for (const [name, value] of Object.entries(args)) {
      if (value === undefined) continue;
      if (!PARAMETER_NAME.test(name)) throw new Error(`not a parameter name: ${name}`);
      // Bytes go as bytea (SQL transports only: an RPC call carries no bytes).
      const raw = value instanceof Date || value instanceof Uint8Array;
      const json = value !== null && typeof value === 'object' && !raw;
      params.push(json ? JSON.stringify(value) : value instanceof Date ? value.toISOString() : value);
      named.push(`${name} => $${params.length}${json ? '::jsonb' : ''}`);
    }
    const [row] = await this.sql.query<{ result: T }>(`select ${fn}(${named.join(', ')}) as result`, params);
    return row.result;
  }
}
