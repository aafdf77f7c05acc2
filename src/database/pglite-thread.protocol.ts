/** Messages between ThreadedPgliteSqlClient (main thread) and pglite.thread (its thread). Types only. */

export interface PgliteThreadOptions {
  dataDir: string;
}

/** `tx` names an open transaction (from `begin`); without it a statement runs on its own. */
export type PgliteThreadRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[]; tx?: number }
  | { id: number; op: 'exec'; script: string; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; listener: number }
  | { id: number; op: 'close' };

/** An error's name, message and own fields (a DatabaseError's SQLSTATE `code`, `detail`, ...). */
export interface ThreadError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

export type PgliteThreadMessage =
  | { kind: 'ready' }
  | { kind: 'open-failed'; error: ThreadError }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: ThreadError }
  | { kind: 'notify'; listener: number; payload: string }
  | { kind: 'panic'; reason: string };
