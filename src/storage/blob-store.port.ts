import type { Readable } from 'node:stream';

export { blobKeyFor } from './blob-key';

export interface StoredBlob {
  key: string;
  size: number;
  sha256: string;
}

export interface BlobListing {
  key: string;
  lastModified: Date;
}

/**
 * Port: where uploaded file bytes live (database, filesystem or S3). Keys are
 * `${tenant}/${jobId}/${position}` (blobKeyFor); every driver refuses a key that could leave its
 * namespace (InvalidBlobKey). Nothing above this port knows where the bytes sit.
 */
export abstract class BlobStore {
  /** Streams body in under key, hashing (sha256) and counting on the way. Overwrites. */
  abstract put(
    key: string,
    body: Readable,
    options?: { contentType?: string; signal?: AbortSignal },
  ): Promise<StoredBlob>;
  /** The bytes as a stream; throws BlobNotFound (src/storage/blob-errors.ts) when missing. */
  abstract get(key: string): Promise<Readable>;

  /**
   * The whole blob in memory, for callers that need a Buffer (OCR of one document); throws as
   * get does. Drivers that can fetch the bytes directly override it: the worker reads every
   * document this way, and a stream costs more than a small file's bytes.
   */
  async read(key: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of await this.get(key)) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }
  /** Deletes these keys; missing ones are not an error. */
  abstract delete(keys: string[]): Promise<void>;
  abstract exists(key: string): Promise<boolean>;
  /** Blobs under prefix last written before `before` (for the orphan sweep), in pages. */
  abstract list(options: { prefix?: string; before: Date }): AsyncIterable<BlobListing>;

  /**
   * Housekeeping for the sweep: throws away puts that a killed process left half written
   * (staged chunks, temp files) and that started before `before`. Returns how many. Drivers
   * whose backend cleans up by itself (S3: a lifecycle rule aborting incomplete multipart
   * uploads) keep this default.
   */
  discardStaleUploads(before: Date): Promise<number> {
    void before;
    return Promise.resolve(0);
  }
}

/** The whole blob in memory (BlobStore.read). */
export function readBlob(store: BlobStore, key: string): Promise<Buffer> {
  return store.read(key);
}
