/** Messages between bench/queue-peers.ts and its worker processes (bench/queue-peer-worker.ts). */
export type PeerSystem = 'docinbox' | 'graphile' | 'pgboss';
/** What the orchestrator runs: a peer, or Doc Inbox as built in another checkout (--baseline). */
export type BenchSystem = PeerSystem | 'baseline';

export type ToParent =
  | { type: 'ready' }
  | { type: 'stopped' }
  | { type: 'progress'; handled: number }
  | { type: 'pickup'; ms: number }
  /** firstHandledNs: hrtime of the first job handled since the previous stats request. */
  | {
      type: 'stats';
      handled: number;
      roundTrips: number;
      calls: Record<string, number>;
      cpuMs: number;
      firstHandledNs: string | null;
    };

export type ToWorker = { type: 'stats' } | { type: 'stop' };
