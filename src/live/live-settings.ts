/**
 * Timings of live progress. Fixed defaults rather than environment settings: they trade a little
 * latency for queries and nobody has needed to tune them; tests provide shorter ones.
 */
export class LiveSettings {
  /** Without LISTEN (Supabase's RPC): how often every followed job is read again. */
  pollIntervalMs = 1000;
  /**
   * With LISTEN: how often followed jobs are read anyway, for notifications that never arrive
   * (LISTEN behind a transaction pooler succeeds and then hears nothing).
   */
  safetyPollIntervalMs = 5000;
  /** A comment line on an idle event stream, so proxies and clients keep the connection. */
  heartbeatIntervalMs = 15_000;
}
