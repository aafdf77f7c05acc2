/**
 * A process that cannot start says why in one readable message and exits 1: a bad setting, an
 * unreachable database, a broken categories file. The message names the cause; the stack of a
 * Nest injector would only hide it.
 */
export function exitOnBootError(err: unknown): never {
  console.error(`Doc Inbox cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
