import { InvalidBlobKey } from './blob-errors';

/** A tenant id is one path segment: no slash, no dot first, nothing a path or URL would reinterpret. */
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Every key segment: letters, digits, `_ - .`, never starting with a dot (so no `.`, `..`, `.tmp`). */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_KEY_LENGTH = 512;

/** The key of the file at `position` of a job: `${tenant}/${jobId}/${position}`. */
export function blobKeyFor(tenantId: string, jobId: string, position: number): string {
  if (!TENANT_ID.test(tenantId)) {
    throw new InvalidBlobKey(
      tenantId,
      'a tenant id is 1 to 64 letters, digits, _ or -, starting with a letter or digit',
    );
  }
  if (!JOB_ID.test(jobId)) throw new InvalidBlobKey(jobId, 'a job id is a UUID');
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new InvalidBlobKey(String(position), 'a position is a non-negative integer');
  }
  return `${tenantId}/${jobId.toLowerCase()}/${position}`;
}

/** Refuses a key that is not `segment(/segment)*` as SEGMENT allows; returns its segments. */
export function assertBlobKey(key: string): string[] {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidBlobKey(String(key), 'empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidBlobKey(key, `longer than ${MAX_KEY_LENGTH} characters`);
  const segments = key.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) {
      throw new InvalidBlobKey(key, 'segments are letters, digits, _ - or ., not starting with a dot, joined by /');
    }
  }
  return segments;
}

/**
 * A listing prefix: a key, optionally ending in `/`, or a partial last segment (`t1/ab` lists
 * `t1/abc/0`). The empty prefix lists everything.
 */
export function assertBlobPrefix(prefix: string): void {
  if (prefix === '') return;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  assertBlobKey(trimmed);
}

/** Whether a name found in a backend (a listing) is a key this port could address. */
export function isBlobKey(key: string): boolean {
  try {
    assertBlobKey(key);
    return true;
  } catch {
    return false;
  }
}
