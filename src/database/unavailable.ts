/** Postgres and socket error codes that mean "the database is not there right now". */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '3D000', // database does not exist (dropped under us)
  '57P01', // admin shutdown
  '57P03', // cannot connect now (starting up)
  '53300', // too many connections
  '53100', // disk full: it takes no writes until space is freed (the API says so: StorageFull)
  '08000',
  '08001',
  '08003',
  '08006',
]);

/**
 * True when an error says the database is unreachable right now (an outage, not a bad request):
 * the API answers 503, a worker hands its jobs back instead of spending an attempt.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Transports that classify their own errors (Supabase's RPC) say so.
  if ((error as { unreachable?: unknown } | null)?.unreachable === true) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && UNAVAILABLE.has(code)) || isConnectionTimeout(error);
}

/** node-postgres's pool and client time-outs carry no code, only these messages. */
function isConnectionTimeout(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return (
    message === 'timeout exceeded when trying to connect' ||
    message.startsWith('Connection terminated due to connection timeout') ||
    message === 'Connection terminated unexpectedly'
  );
}
