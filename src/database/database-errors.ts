/**
 * Node's socket errors that mean "not there (yet)": a server still starting, a container not up,
 * a network blip. Anything else (a wrong password, a missing database, bad SQL) will not mend
 * by waiting.
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs of a server that is there but cannot take us now. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
]);

/** node-postgres' own messages for a connection that never opened or dropped. */
const UNREACHABLE_MESSAGES = /^(Connection terminated|timeout expired|timeout exceeded when trying to connect)/;

interface ErrorLike {
  /** Set by transports that classify their own errors (Supabase's RPC: no answer, 503). */
  unreachable?: unknown;
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

/** Whether retrying later may succeed: the database is unreachable or not accepting connections yet. */
export function isDatabaseUnreachable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as ErrorLike;
  if (e.unreachable === true) return true;
  // Happy Eyeballs (localhost on ::1 and 127.0.0.1) reports every address it tried.
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(isDatabaseUnreachable);
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  return typeof e.message === 'string' && UNREACHABLE_MESSAGES.test(e.message);
}

/**
 * The WASI errno values Emscripten's file layer throws (`{name: 'ErrnoError', errno}`, no
 * message) when PGlite cannot use its folder, for those a deployment can meet.
 */
const WASI_ERRNOS: Record<number, string> = {
  2: 'permission denied (EACCES)',
  19: 'disk quota exceeded (EDQUOT)',
  29: 'I/O error (EIO)',
  44: 'no such file or directory (ENOENT)',
  51: 'no space left on device (ENOSPC)',
  63: 'operation not permitted (EPERM)',
  69: 'read-only file system (EROFS)',
};

/** One readable line for an error, even an AggregateError whose own message is empty. */
export function describeDatabaseError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as ErrorLike & { name?: unknown; errno?: unknown };
  if (e.name === 'ErrnoError' && typeof e.errno === 'number') {
    return WASI_ERRNOS[e.errno] ?? `file system error (WASI errno ${e.errno})`;
  }
  if (typeof e.message === 'string' && e.message.trim() !== '') return e.message.split('\n')[0];
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    return [...new Set(e.errors.map(describeDatabaseError))].join('; ');
  }
  return typeof e.code === 'string' ? e.code : 'unknown error';
}
