/** The migration is not (fully) applied where SUPABASE_URL points. */
export const RUN_THE_MIGRATION =
  'run the migration: `npm run migrate`, `supabase db push`, or paste `supabase/migrations/*.sql` into the SQL editor';

/** What went wrong with a Supabase request, for the boot, readiness, the worker and the API. */
export type SupabaseProblem =
  /** No answer, or a gateway or PostgREST that cannot reach the database now: retry later. */
  | 'unreachable'
  /** The key was refused (401) or its role may not call our functions (42501): a setting to fix. */
  | 'unauthorized'
  /** PGRST202 / 42P01 / 42883: the function or table is not there: the migration was not run. */
  | 'schema-missing'
  /** Rolled back, safe to run again: statement timeout, serialization failure, deadlock. */
  | 'transient'
  /** Anything else: the function's own error (a bad argument, a constraint). */
  | 'failed';

/**
 * A failed call to Supabase, in PostgREST's terms (code, HTTP status, details, hint) with a
 * message that says what to do. Never carries the service role key: messages are built from
 * PostgREST's answer and the function's name only. `unreachable` lets the shared checks (503 in
 * the API, release instead of an attempt in the worker, retries at boot) treat it as an outage.
 */
export class SupabaseRequestError extends Error {
  readonly unreachable: boolean;

  constructor(
    message: string,
    readonly problem: SupabaseProblem,
    readonly code: string,
    readonly status: number,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'SupabaseRequestError';
    this.unreachable = problem === 'unreachable';
  }
}

interface PostgrestLikeError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

/** SQLSTATEs of work PostgreSQL rolled back and that may succeed if run again. */
const TRANSIENT_SQLSTATES = new Set(['57014', '40001', '40P01', '55P03']);
/** PostgREST's own codes for a database it cannot reach or a schema cache it has not loaded. */
const UNREACHABLE_PGRST = new Set(['PGRST000', 'PGRST001', 'PGRST002', 'PGRST003']);
const SCHEMA_MISSING = new Set(['PGRST202', 'PGRST205', '42P01', '42883']);
const UNAUTHORIZED = new Set(['PGRST300', 'PGRST301', 'PGRST302', 'PGRST303', '42501']);

/** Classifies PostgREST's answer (or supabase-js's report of no answer) and explains it. */
export function supabaseRpcError(fn: string, status: number, error: PostgrestLikeError): SupabaseRequestError {
  const code = error.code ?? '';
  const said = (error.message ?? '').split('\n')[0];
  if (status === 0) {
    const cause = causeCode(error.details ?? '');
    return new SupabaseRequestError(
      `Supabase (SUPABASE_URL) does not answer: ${cause ?? said}`,
      'unreachable',
      cause ?? 'ECONNREFUSED',
      0,
    );
  }
  if (UNAUTHORIZED.has(code) || status === 401) {
    return new SupabaseRequestError(
      code === '42501'
        ? `Supabase refused ${fn} to this key's role (42501 ${said}): SUPABASE_SERVICE_ROLE_KEY must be the ` +
            'service_role key (Project Settings -> API), not the anon or a user key'
        : `Supabase refused SUPABASE_SERVICE_ROLE_KEY (${status} ${code || 'Unauthorized'}: ${said}): copy the ` +
            'service_role key from Project Settings -> API',
      'unauthorized',
      code || String(status),
      status,
    );
  }
  if (SCHEMA_MISSING.has(code)) {
    return new SupabaseRequestError(
      `Doc Inbox's schema is missing in the Supabase project (${code}: ${said}): ${RUN_THE_MIGRATION}`,
      'schema-missing',
      code,
      status,
    );
  }
  if (UNREACHABLE_PGRST.has(code) || (!code && [502, 503, 504, 520, 521, 522, 523, 524].includes(status))) {
    return new SupabaseRequestError(
      `Supabase cannot reach its database now (${status} ${code}: ${said})`,
      'unreachable',
      code || String(status),
      status,
    );
  }
  if (TRANSIENT_SQLSTATES.has(code)) {
    return new SupabaseRequestError(`${fn} was cut short (${code}: ${said})`, 'transient', code, status);
  }
  return new SupabaseRequestError(
    said || `${fn} failed with HTTP ${status}`,
    'failed',
    code,
    status,
    error.details ?? undefined,
  );
}

/** The socket error code supabase-js puts in its details (`Caused by: Error: ... (ECONNREFUSED)`). */
function causeCode(details: string): string | undefined {
  const match = /Caused by: [^\n]*\(([A-Z][A-Z0-9_]+)\)/.exec(details);
  if (match) return match[1];
  if (/TimeoutError|aborted/i.test(details)) return 'ETIMEDOUT';
  return undefined;
}

/** `npm run migrate` over SUPABASE_URL alone: RPC calls functions, it cannot run DDL. */
export class SupabaseCannotMigrateError extends Error {
  constructor() {
    super(
      "migrations cannot run over SUPABASE_URL (RPC only calls functions): set DATABASE_URL to the project's " +
        'connection string (Project Settings -> Database) and run `npm run migrate`, or run `supabase db push`, ' +
        'or paste supabase/migrations/*.sql into the SQL editor',
    );
    this.name = 'SupabaseCannotMigrateError';
  }
}
