import { Logger } from '@nestjs/common';
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import { SqlClient, SqlExecutor } from './sql-client.port';

class PgExecutor extends SqlExecutor {
  constructor(private readonly client: Pool | PoolClient) {
    super();
  }
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    // Unnamed statements only: Supabase's transaction pooler keeps no prepared statements.
    const result = await this.client.query(sql, params);
    return result.rows as T[];
  }
  async exec(script: string): Promise<void> {
    await this.client.query(script);
  }
}

/**
 * node-postgres transport, for any PostgreSQL including Supabase's direct or pooled connection
 * strings. LISTEN needs a session: behind a transaction pooler notifications never arrive and
 * workers fall back to polling.
 */
export class PgSqlClient extends SqlClient {
  private readonly logger = new Logger(PgSqlClient.name);
  private readonly pool: Pool;
  private readonly executor: PgExecutor;
  private readonly listeners = new Set<Client>();

  constructor(private readonly config: PoolConfig) {
    super();
    this.pool = new Pool(config);
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', (err) => this.logger.warn(`idle database connection lost: ${err.message}`));
    this.executor = new PgExecutor(this.pool);
  }

  query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return this.executor.query<T>(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.executor.exec(script);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await fn(new PgExecutor(client));
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * LISTEN on a connection of its own (a transaction pooler cannot keep one: there, workers
   * rely on polling). A lost connection is reopened with backoff until it works again.
   */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: Client | undefined;
    const open = async (): Promise<void> => {
      const c = new Client(this.config);
      c.on('notification', (msg) => {
        if (msg.channel === channel) onNotify(msg.payload ?? '');
      });
      c.on('error', (err) => {
        if (client !== c) return; // errors while opening reject open() instead
        client = undefined;
        this.listeners.delete(c);
        void c.end().catch(() => undefined);
        this.logger.warn(`LISTEN connection lost (${err.message}); reconnecting, polling meanwhile`);
        reopen(1000);
      });
      try {
        await c.connect();
        await c.query(`listen ${quoteIdent(channel)}`);
      } catch (err) {
        await c.end().catch(() => undefined);
        throw err;
      }
      if (stopped) return void (await c.end().catch(() => undefined));
      client = c;
      this.listeners.add(c);
      // Anything created while we were (re)connecting is picked up by this nudge.
      onNotify('');
    };
    const reopen = (delayMs: number): void => {
      setTimeout(() => {
        if (stopped) return;
        open().catch((err: unknown) => {
          const next = Math.min(delayMs * 2, 30_000);
          this.logger.warn(`LISTEN reconnect failed (${(err as Error).message}); next try in ${next} ms`);
          reopen(next);
        });
      }, delayMs).unref();
    };
    await open();
    return async () => {
      stopped = true;
      const c = client;
      client = undefined;
      if (c) {
        this.listeners.delete(c);
        await c.end().catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners].map((c) => c.end().catch(() => undefined)));
    await this.pool.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
