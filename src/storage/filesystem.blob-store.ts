import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, opendir, readFile, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFound, BlobStoreUnavailable, InvalidBlobKey } from './blob-errors';
import { assertBlobKey, assertBlobPrefix, isBlobKey } from './blob-key';
import { DigestingStream } from './blob-digest';
import { BlobStore, type BlobListing, type StoredBlob } from './blob-store.port';

/** Half-written puts live here until renamed into place; no key segment may start with a dot. */
const TEMP_DIR = '.tmp';

/**
 * Blobs as files under one directory (BLOB_DIR), for a single machine. A key's segments are its
 * subdirectories; writes go to a temp file that is fsynced and then renamed, so a reader never
 * sees half a blob and a crash leaves only a temp file (discardStaleUploads removes it).
 */
export class FilesystemBlobStore extends BlobStore {
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async put(key: string, body: Readable, options: { signal?: AbortSignal } = {}): Promise<StoredBlob> {
    const target = this.pathOf(key);
    const tempDir = join(this.root, TEMP_DIR);
    const temp = join(tempDir, randomUUID());
    const digest = new DigestingStream();
    let diskError: unknown;
    try {
      await mkdir(tempDir, { recursive: true }).catch((err: unknown) => Promise.reject((diskError = err)));
      // flush: the bytes are on disk before the rename makes them visible.
      const file = createWriteStream(temp, { flush: true }).once('error', (err) => (diskError = err));
      await pipeline(body, digest, file, { signal: options.signal });
      await this.moveIntoPlace(temp, target).catch((err: unknown) => Promise.reject((diskError = err)));
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      // The body's own failure (client gone, aborted) passes through; the disk's is ours.
      throw err === diskError ? this.unavailable(err, `cannot write blob ${key}`) : err;
    }
    return { key, size: digest.byteCount, sha256: digest.sha256 };
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    try {
      // Opened before answering: a missing blob is BlobNotFound now, not a stream error later.
      const handle = await open(path, 'r');
      return handle.createReadStream();
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) throw new BlobNotFound(key);
      throw this.unavailable(err, `cannot read blob ${key}`);
    }
  }

  override async read(key: string): Promise<Buffer> {
    const path = this.pathOf(key);
    try {
      return await readFile(path);
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) throw new BlobNotFound(key);
      throw this.unavailable(err, `cannot read blob ${key}`);
    }
  }

  async delete(keys: string[]): Promise<void> {
    const paths = keys.map((key) => this.pathOf(key));
    for (const path of paths) {
      try {
        await unlink(path);
      } catch (err) {
        if (!isCode(err, 'ENOENT', 'ENOTDIR')) throw this.unavailable(err, 'cannot delete blobs');
      }
      await this.pruneEmptyParents(dirname(path));
    }
  }

  async exists(key: string): Promise<boolean> {
    const path = this.pathOf(key);
    try {
      return (await stat(path)).isFile();
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return false;
      throw this.unavailable(err, `cannot stat blob ${key}`);
    }
  }

  async *list(options: { prefix?: string; before: Date }): AsyncIterable<BlobListing> {
    const prefix = options.prefix ?? '';
    assertBlobPrefix(prefix);
    // The deepest directory the prefix names in full; a partial last segment filters below it.
    const base = prefix.endsWith('/') || prefix === '' ? prefix : dirname(prefix) === '.' ? '' : `${dirname(prefix)}/`;
    for await (const key of this.walk(join(this.root, base), base)) {
      // A file someone else put here (not a key the port could address) is not listed.
      if (!key.startsWith(prefix) || !isBlobKey(key)) continue;
      const info = await stat(join(this.root, key)).catch(() => undefined);
      if (info && info.mtime < options.before) yield { key, lastModified: info.mtime };
    }
  }

  override async discardStaleUploads(before: Date): Promise<number> {
    const tempDir = join(this.root, TEMP_DIR);
    const names = await readdir(tempDir).catch(() => [] as string[]);
    let discarded = 0;
    for (const name of names) {
      const path = join(tempDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtime < before) {
        await rm(path, { force: true });
        discarded++;
      }
    }
    return discarded;
  }

  /** The key's file, checked twice: the key's syntax, then that the path stays under root. */
  private pathOf(key: string): string {
    const path = resolve(this.root, ...assertBlobKey(key));
    if (!path.startsWith(this.root + sep)) throw new InvalidBlobKey(key, 'resolves outside the blob directory');
    return path;
  }

  private async moveIntoPlace(temp: string, target: string): Promise<void> {
    const dir = dirname(target);
    // The first directory mkdir made, if it made any (a job's first file makes the job's).
    let created: string | undefined;
    // A concurrent delete may prune the fresh directory between mkdir and rename: try again.
    for (let attempt = 0; ; attempt++) {
      created = (await mkdir(dir, { recursive: true })) ?? created;
      try {
        await rename(temp, target);
        break;
      } catch (err) {
        if (!isCode(err, 'ENOENT') || attempt >= 2) throw err;
      }
    }
    // The rename is durable once its directory is synced, and a directory made here once its
    // parent is: without that a crash could keep the file but lose the directory it is in.
    await syncDirectory(dir);
    for (let child = dir; created && child.startsWith(this.root + sep); child = dirname(child)) {
      await syncDirectory(dirname(child));
      if (child === created) break;
    }
  }

  /** Removes directories a delete left empty, up to (not including) the root. */
  private async pruneEmptyParents(dir: string): Promise<void> {
    while (dir.startsWith(this.root + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or gone): stop
      }
      dir = dirname(dir);
    }
  }

  private async *walk(dir: string, keyPrefix: string): AsyncGenerator<string> {
    let handle;
    try {
      handle = await opendir(dir);
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for await (const entry of handle) {
      if (entry.name.startsWith('.')) continue; // the temp directory, never a key
      const key = `${keyPrefix}${entry.name}`;
      if (entry.isDirectory()) yield* this.walk(join(dir, entry.name), `${key}/`);
      else if (entry.isFile()) yield key;
    }
  }

  private unavailable(err: unknown, what: string): BlobStoreUnavailable {
    const where = relative(process.cwd(), this.root) || '.';
    return new BlobStoreUnavailable(`${what} in BLOB_DIR ${where}: ${(err as Error).message}`, { cause: err });
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException)?.code ?? '');
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
