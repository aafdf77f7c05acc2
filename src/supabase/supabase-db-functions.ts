import type { SupabaseClient } from '@supabase/supabase-js';
import { DbFunctions, type FunctionArgs } from '../database/db-functions.port';
import { supabaseRpcError, type SupabaseRequestError } from './supabase-errors';

const FUNCTION_NAME = /^inbox_[a-z0-9_]+$/;

export interface SupabaseDbFunctionsSettings {
  /** Tries of a call that failed transiently (statement timeout, 5xx, deadlock); 1: no retry. */
  attempts?: number;
  /** First pause between tries; doubles each try, with ±20 % jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * DbFunctions over Supabase's RPC (PostgREST): `supabase.rpc(fn, namedArgs)` with the service
 * role key. Each call is one function of the migration in one transaction of PostgREST's, so
 * claims, leases and outcomes are as atomic as over `pg`. Arguments go as JSON (arrays and
 * objects as jsonb, dates as ISO text; undefined left out so the function's defaults apply).
 *
 * A call that PostgreSQL rolled back (statement timeout 57014, serialization failure, deadlock)
 * or that a gateway or PostgREST could not hand to the database (502/503/504, PGRST000-003) is
 * tried again with backoff; the functions are written so that running one again is safe
 * (outcomes are written once, a lost claim's lease runs out). Errors say what to do
 * (SupabaseRequestError) and never carry the key.
 */
export class SupabaseDbFunctions extends DbFunctions {
  private readonly attempts: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: SupabaseClient,
    settings: SupabaseDbFunctionsSettings = {},
  ) {
    super();
    this.attempts = settings.attempts ?? 4;
    this.initialDelayMs = settings.initialDelayMs ?? 200;
    this.maxDelayMs = settings.maxDelayMs ?? 5000;
    this.sleep = settings.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async call<T>(fn: string, args: FunctionArgs): Promise<T> {
    if (!FUNCTION_NAME.test(fn)) throw new Error(`not a Doc Inbox function: ${fn}`);
    const body: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(args)) {
      if (value !== undefined) body[name] = value instanceof Date ? value.toISOString() : value;
    }
    for (let attempt = 1; ; attempt++) {
      const error = await this.once<T>(fn, body);
      if ('result' in error) return error.result;
      const retryable =
        error.failure.problem === 'transient' || (error.failure.unreachable && error.failure.status > 0);
      if (!retryable || attempt >= this.attempts) throw error.failure;
      const base = Math.min(this.initialDelayMs * 2 ** (attempt - 1), this.maxDelayMs);
      await this.sleep(Math.round(base * (0.8 + 0.4 * Math.random())));
    }
  }

  private async once<T>(
    fn: string,
    body: Record<string, unknown>,
  ): Promise<{ result: T } | { failure: SupabaseRequestError }> {
    const { data, error, status } = await this.client.rpc(fn, body);
    if (error) return { failure: supabaseRpcError(fn, status, error) };
    return { result: data as T };
  }
}
