const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Job ids are UUIDs; anything else is an unknown job (404), never a database error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
