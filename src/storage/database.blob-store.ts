import { randomUUID } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import type { DbFunctions } from '../database/db-functions.port';
import { BlobNotFound, BlobStoreUnavailable, InvalidBlobKey } from './blob-errors';
import { assertBlobKey, assertBlobPrefix } from './blob-key';
import { DigestingStream } from './blob-digest';
import { BlobStore, type BlobListing, type StoredBlob } from './blob-store.port';

export interface DatabaseBlobStoreOptions {
  /** Bytes per stored chunk: memory per put and per read stays about this size. */
  chunkBytes?: number;
  /** Keys per listing page. */
  pageSize?: number;
}

const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/**
 * Blobs in the database (BLOB_STORE=database): the zero-set-up default on the embedded
 * database, valid on PostgreSQL too. A body of one chunk goes in one call; larger ones in ~1 MiB
 * chunks, each its own statement, so a
 * put holds no transaction while the client uploads and memory stays at one chunk; the commit
 * makes the new blob visible at once. Every statement is a function of
 * supabase/migrations/20261201000100_blobs.sql.
 */
export class DatabaseBlobStore extends BlobStore {
  private readonly chunkBytes: number;
  private readonly pageSize: number;

  constructor(
    private readonly db: DbFunctions,
    options: DatabaseBlobStoreOptions = {},
  ) {
    super();
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.pageSize = options.pageSize ?? 500;
  }

  async put(
    key: string,
    body: Readable,
    options: { contentType?: string; signal?: AbortSignal } = {},
  ): Promise<StoredBlob> {
    assertBlobKey(key);
    options.signal?.throwIfAborted();
    const upload = randomUUID();
    const digest = new DigestingStream();
    let staged = 0;
    let begun = false;
    const stage = async (chunk: Buffer): Promise<void> => {
      if (!begun) {
        begun = true;
        await this.db.call('inbox_blob_begin_upload', { p_upload: upload });
      }
      await this.db.call('inbox_blob_put_chunk', { p_upload: upload, p_seq: staged, p_bytes: chunk });
      staged++;
    };
    try {
      // pipeline: a body that fails or closes early fails the digest stream we read from.
      const source = pipeline(body, digest, () => undefined);
      const stop = (): void => void body.destroy(options.signal?.reason as Error);
      options.signal?.addEventListener('abort', stop, { once: true });
      // One chunk behind: a body of one chunk (most uploads) is then written in a single call.
      let held: Buffer | undefined;
      try {
        for await (const chunk of rechunk(source, this.chunkBytes)) {
          options.signal?.throwIfAborted();
          if (held) await this.run(`cannot write blob ${key}`, () => stage(held!));
          held = chunk;
        }
      } finally {
        options.signal?.removeEventListener('abort', stop);
      }
      options.signal?.throwIfAborted();
      const last = held ?? Buffer.alloc(0);
      await this.run(`cannot write blob ${key}`, async () => {
        if (staged === 0) {
          await this.db.call('inbox_blob_put_whole', {
            p_key: key,
            p_bytes: last,
            p_sha256: digest.sha256,
            p_content_type: options.contentType ?? null,
          });
          return;
        }
        await stage(last);
        await this.db.call('inbox_blob_commit', {
          p_upload: upload,
          p_key: key,
          p_size: digest.byteCount,
          p_sha256: digest.sha256,
          p_content_type: options.contentType ?? null,
          p_chunk_count: staged,
        });
      });
    } catch (err) {
      if (begun) await this.db.call('inbox_blob_discard_upload', { p_upload: upload }).catch(() => undefined);
      throw err;
    }
    return { key, size: digest.byteCount, sha256: digest.sha256 };
  }

  async get(key: string): Promise<Readable> {
    const blob = await this.stat(key);
    return Readable.from(this.chunks(key, blob), { objectMode: false, highWaterMark: 1 });
  }

  override async read(key: string): Promise<Buffer> {
    const blob = await this.stat(key);
    if (blob.chunk_count === 1) return this.readChunk(key, blob.upload_id, 0);
    const parts: Buffer[] = [];
    for await (const part of this.chunks(key, blob)) parts.push(part);
    return Buffer.concat(parts);
  }

  private async stat(key: string): Promise<{ upload_id: string; chunk_count: number }> {
    assertBlobKey(key);
    const blob = await this.run(`cannot read blob ${key}`, () =>
      this.db.call<{ upload_id: string; chunk_count: number } | null>('inbox_blob_stat', { p_key: key }),
    );
    if (!blob) throw new BlobNotFound(key);
    return blob;
  }

  private async *chunks(key: string, blob: { upload_id: string; chunk_count: number }): AsyncGenerator<Buffer> {
    for (let seq = 0; seq < blob.chunk_count; seq++) yield await this.readChunk(key, blob.upload_id, seq);
  }

  private async readChunk(key: string, upload: string, seq: number): Promise<Buffer> {
    const bytes = await this.db.call<Uint8Array | null>('inbox_blob_read_chunk', { p_upload: upload, p_seq: seq });
    // Overwritten or deleted while being read: the old chunks are gone.
    if (!bytes) throw new BlobNotFound(key);
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async delete(keys: string[]): Promise<void> {
    keys.forEach((key) => assertBlobKey(key));
    if (keys.length === 0) return;
    await this.run('cannot delete blobs', () => this.db.call('inbox_blob_delete', { p_keys: keys }));
  }

  async exists(key: string): Promise<boolean> {
    assertBlobKey(key);
    const exists = await this.run(`cannot stat blob ${key}`, () =>
      this.db.call<boolean>('inbox_blob_exists', { p_key: key }),
    );
    return exists === true;
  }

  async *list(options: { prefix?: string; before: Date }): AsyncIterable<BlobListing> {
    const prefix = options.prefix ?? '';
    assertBlobPrefix(prefix);
    let after: string | null = null;
    for (;;) {
      const page: { key: string; written_at: string }[] = await this.run('cannot list blobs', () =>
        this.db.call<{ key: string; written_at: string }[]>('inbox_blob_list', {
          p_prefix: prefix,
          p_before: options.before,
          p_after: after,
          p_limit: this.pageSize,
        }),
      );
      for (const row of page) yield { key: row.key, lastModified: new Date(row.written_at) };
      if (page.length < this.pageSize) return;
      after = page[page.length - 1].key;
    }
  }

  override async discardStaleUploads(before: Date): Promise<number> {
    const count = await this.run('cannot discard stale uploads', () =>
      this.db.call<number>('inbox_blob_discard_stale_uploads', { p_before: before }),
    );
    return count ?? 0;
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof InvalidBlobKey || err instanceof BlobNotFound) throw err;
      throw new BlobStoreUnavailable(`${what} in the database: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Regroups a byte stream into pieces of exactly `size` bytes (the last one shorter). */
async function* rechunk(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    let rest = piece;
    while (pendingBytes + rest.length >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending, size);
      rest = rest.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
