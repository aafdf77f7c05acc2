import { Logger } from '@nestjs/common';
import type { SupabaseClient } from '@supabase/supabase-js';
import { pipeline, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BlobNotFound, BlobStoreUnavailable } from './blob-errors';
import { assertBlobKey, assertBlobPrefix, isBlobKey } from './blob-key';
import { DigestingStream } from './blob-digest';
import { BlobStore, type BlobListing, type StoredBlob } from './blob-store.port';

/** supabase-js's Storage client (`supabase.storage`). */
export type SupabaseStorage = SupabaseClient['storage'];

export interface SupabaseBlobStoreSettings {
  /** A private bucket (SUPABASE_STORAGE_BUCKET); ensureBucket() creates it if missing. */
  bucket: string;
  /** The bucket's file size limit when it is created: the upload limit (UPLOAD_MAX_FILE_MB). */
  fileSizeLimit: number;
  /** Objects per listing page. */
  pageSize?: number;
}

/** What Storage answers with: an HTTP status, its own statusCode and code, a message. */
interface StorageErrorLike {
  message?: string;
  status?: number;
  statusCode?: string;
  code?: string;
  name?: string;
}

/** Storage's limit for one remove call. */
const DELETE_BATCH = 1000;

/**
 * Blobs in Supabase Storage (BLOB_STORE=supabase, the default with SUPABASE_URL), through
 * supabase-js's Storage client with the service role key, in a private bucket. Objects are keyed
 * `tenant/job/position` as everywhere. Puts stream the body into one upload request (fetch with a
 * streamed body) hashing on the way; an aborted or failed body aborts the request, and Storage
 * keeps no object of an upload that did not finish. Reads stream too. Bytes never pass through RPC.
 */
export class SupabaseBlobStore extends BlobStore {
  private readonly logger = new Logger(SupabaseBlobStore.name);
  private readonly pageSize: number;

  constructor(
    private readonly storage: SupabaseStorage,
    private readonly settings: SupabaseBlobStoreSettings,
  ) {
    super();
    this.pageSize = settings.pageSize ?? 1000;
  }

  /** Creates the bucket if missing (private, with the file size limit); refuses a public one. */
  async ensureBucket(): Promise<'created' | 'exists'> {
    const { bucket, fileSizeLimit } = this.settings;
    const found = await this.storage.getBucket(bucket);
    if (found.data) {
      if (found.data.public) {
        throw new BlobStoreUnavailable(
          `Supabase Storage bucket ${bucket} is public: anyone could read uploaded documents; make it private ` +
            '(Storage -> bucket -> Edit) or set SUPABASE_STORAGE_BUCKET to another bucket',
        );
      }
      const limit = found.data.file_size_limit;
      if (limit && limit < fileSizeLimit) {
        this.logger.warn(
          `Supabase Storage bucket ${bucket} limits files to ${limit} bytes, below UPLOAD_MAX_FILE_MB (${fileSizeLimit} bytes): larger uploads will fail`,
        );
      }
      return 'exists';
    }
    if (!isNotFound(found.error)) throw this.explain(found.error, `cannot read bucket ${bucket}`);
    const created = await this.storage.createBucket(bucket, { public: false, fileSizeLimit });
    // Another process may have created it meanwhile.
    if (created.error && !/already exists|duplicate/i.test(created.error.message)) {
      throw this.explain(created.error, `cannot create bucket ${bucket}`);
    }
    this.logger.log(`created the private Supabase Storage bucket ${bucket} (file size limit ${fileSizeLimit} bytes)`);
    return 'created';
  }

  async put(
    key: string,
    body: Readable,
    options: { contentType?: string; signal?: AbortSignal } = {},
  ): Promise<StoredBlob> {
    assertBlobKey(key);
    options.signal?.throwIfAborted();
    const digest = new DigestingStream();
    // pipeline: a body that fails or closes early fails the stream the upload reads.
    const source = pipeline(body, digest, () => undefined);
    const stop = (): void => void body.destroy(options.signal?.reason as Error);
    options.signal?.addEventListener('abort', stop, { once: true });
    let failure: StorageErrorLike | null;
    try {
      const answer = await this.bucket()
        .upload(key, source, {
          upsert: true,
          contentType: options.contentType ?? 'application/octet-stream',
          duplex: 'half',
        })
        .catch((err: unknown) => ({ error: err as StorageErrorLike }));
      failure = answer.error;
    } finally {
      options.signal?.removeEventListener('abort', stop);
    }
    if (options.signal?.aborted) throw options.signal.reason;
    if (source.errored) throw source.errored; // the body's own failure, not Storage's
    if (failure) throw this.explain(failure, `cannot write blob ${key}`);
    return { key, size: digest.byteCount, sha256: digest.sha256 };
  }

  async get(key: string): Promise<Readable> {
    assertBlobKey(key);
    const { data, error } = await this.bucket().download(key).asStream();
    if (error || !data) {
      if (isNotFound(error) && !isBucketMissing(error)) throw new BlobNotFound(key);
      throw this.explain(error, `cannot read blob ${key}`);
    }
    return Readable.fromWeb(data as WebReadableStream<Uint8Array>);
  }

  async delete(keys: string[]): Promise<void> {
    keys.forEach((key) => assertBlobKey(key));
    for (let at = 0; at < keys.length; at += DELETE_BATCH) {
      const { error } = await this.bucket().remove(keys.slice(at, at + DELETE_BATCH));
      if (error) throw this.explain(error, 'cannot delete blobs');
    }
  }

  async exists(key: string): Promise<boolean> {
    assertBlobKey(key);
    const { error } = await this.bucket().info(key);
    if (!error) return true;
    if (isNotFound(error) && !isBucketMissing(error)) return false;
    throw this.explain(error, `cannot stat blob ${key}`);
  }

  async *list(options: { prefix?: string; before: Date }): AsyncIterable<BlobListing> {
    const prefix = options.prefix ?? '';
    assertBlobPrefix(prefix);
    let cursor: string | undefined;
    for (;;) {
      const { data, error } = await this.bucket().listV2({
        prefix,
        cursor,
        limit: this.pageSize,
        with_delimiter: false,
      });
      if (error || !data) throw this.explain(error, 'cannot list blobs');
      for (const object of data.objects) {
        const key = object.key ?? object.name;
        const lastModified = new Date(object.updated_at ?? object.created_at);
        // A plain string prefix, as in S3; someone else's object that is no key of ours is not listed.
        if (!key.startsWith(prefix) || !isBlobKey(key) || !(lastModified < options.before)) continue;
        yield { key, lastModified };
      }
      if (!data.hasNext || !data.nextCursor) return;
      cursor = data.nextCursor;
    }
  }

  private bucket() {
    return this.storage.from(this.settings.bucket);
  }

  private explain(err: unknown, what: string): BlobStoreUnavailable {
    const e = (err ?? {}) as StorageErrorLike;
    const status = e.status ?? 0;
    const detail = `${e.statusCode ?? status}${e.code ? ` ${e.code}` : ''}: ${e.message ?? 'no answer'}`;
    const where = `Supabase Storage bucket ${this.settings.bucket}`;
    if (status === 401 || status === 403 || e.statusCode === '403' || e.statusCode === '401') {
      return new BlobStoreUnavailable(
        `${what}: ${where} refused SUPABASE_SERVICE_ROLE_KEY (${detail}); copy the service_role key from Project Settings -> API`,
        { cause: err },
      );
    }
    if (isBucketMissing(err)) {
      return new BlobStoreUnavailable(`${what}: ${where} does not exist (${detail})`, { cause: err });
    }
    return new BlobStoreUnavailable(`${what} in ${where}: Storage is unreachable or failed (${detail})`, {
      cause: err,
    });
  }
}

function isNotFound(err: unknown): boolean {
  const e = (err ?? {}) as StorageErrorLike;
  return e.status === 404 || e.statusCode === '404' || e.code === 'NoSuchKey' || e.code === 'NoSuchBucket';
}

function isBucketMissing(err: unknown): boolean {
  const e = (err ?? {}) as StorageErrorLike;
  return e.code === 'NoSuchBucket' || /bucket not found/i.test(e.message ?? '');
}
