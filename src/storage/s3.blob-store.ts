import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline, type Readable } from 'node:stream';
import type { BlobStoreTarget } from '../config/app-config';
import { isMisconfigured, type AwsLikeError } from '../ocr/textract.errors';
import { BlobNotFound, BlobStoreUnavailable } from './blob-errors';
import { assertBlobKey, assertBlobPrefix, isBlobKey } from './blob-key';
import { DigestingStream } from './blob-digest';
import { BlobStore, type BlobListing, type StoredBlob } from './blob-store.port';

export interface S3BlobStoreSettings {
  bucket: string;
  /** Prepended to every key (e.g. `inbox-blobs/`), so the sweep never sees another tenant of the bucket. */
  keyPrefix: string;
  /** Multipart part size; S3's minimum is 5 MiB. Memory per put is about partSize * queueSize. */
  partSize?: number;
  queueSize?: number;
  /** Keys per ListObjectsV2 page (S3's maximum is 1000). */
  pageSize?: number;
}

/** The client for BLOB_STORE=s3: region, endpoint, path style and timeouts. */
export function s3ClientFor(target: Extract<BlobStoreTarget, { driver: 's3' }>): S3Client {
  return new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: target.forcePathStyle,
    maxAttempts: 3,
    // Credentials come from the AWS chain (env, profile, web identity, container role).
    requestHandler: { connectionTimeout: 5_000, requestTimeout: target.requestTimeoutMs },
  });
}

/** S3's limit for one DeleteObjects call. */
const DELETE_BATCH = 1000;

/**
 * Blobs in any S3-compatible service (AWS S3, Cloudflare R2, MinIO). Puts stream through
 * lib-storage's Upload: one PutObject under partSize, multipart above it (parts uploaded as they
 * fill; an aborted or failed put aborts its multipart upload, so nothing is left). The client
 * comes configured (region, endpoint, path style, timeouts) from the storage factory.
 */
export class S3BlobStore extends BlobStore {
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly pageSize: number;

  constructor(
    private readonly client: S3Client,
    private readonly settings: S3BlobStoreSettings,
  ) {
    super();
    this.partSize = settings.partSize ?? 5 * 1024 * 1024;
    this.queueSize = settings.queueSize ?? 2;
    this.pageSize = settings.pageSize ?? 1000;
  }

  async put(
    key: string,
    body: Readable,
    options: { contentType?: string; signal?: AbortSignal } = {},
  ): Promise<StoredBlob> {
    const objectKey = this.objectKey(key);
    options.signal?.throwIfAborted();
    const digest = new DigestingStream();
    // pipeline: a body that fails or closes early fails the stream the upload reads.
    const source = pipeline(body, digest, () => undefined);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: objectKey, Body: source, ContentType: options.contentType },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    const stop = (): void => {
      body.destroy(options.signal?.reason as Error);
      void upload.abort().catch(() => undefined);
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      await upload.done();
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (source.errored) throw source.errored; // the body's own failure, not S3's
      throw this.explain(err, `cannot write blob ${key}`);
    } finally {
      options.signal?.removeEventListener('abort', stop);
    }
    return { key, size: digest.byteCount, sha256: digest.sha256 };
  }

  async get(key: string): Promise<Readable> {
    const objectKey = this.objectKey(key);
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: objectKey }));
      return answer.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFound(key);
      throw this.explain(err, `cannot read blob ${key}`);
    }
  }

  async delete(keys: string[]): Promise<void> {
    const objectKeys = keys.map((key) => this.objectKey(key));
    for (let at = 0; at < objectKeys.length; at += DELETE_BATCH) {
      const batch = objectKeys.slice(at, at + DELETE_BATCH);
      let answer;
      try {
        answer = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.settings.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (err) {
        throw this.explain(err, 'cannot delete blobs');
      }
      // A batch answers 200 even when some keys failed: those come back in Errors.
      const failed = (answer.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0];
        throw new BlobStoreUnavailable(
          `S3 refused to delete ${failed.length} of ${batch.length} blobs in bucket ${this.settings.bucket} ` +
            `(${first.Code}: ${first.Message ?? ''} on ${first.Key ?? '?'})`,
        );
      }
    }
  }

  async exists(key: string): Promise<boolean> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: objectKey }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw this.explain(err, `cannot stat blob ${key}`);
    }
  }

  async *list(options: { prefix?: string; before: Date }): AsyncIterable<BlobListing> {
    const prefix = options.prefix ?? '';
    assertBlobPrefix(prefix);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.settings.bucket,
            Prefix: `${this.settings.keyPrefix}${prefix}`,
            ContinuationToken: token,
            MaxKeys: this.pageSize,
          }),
        );
      } catch (err) {
        throw this.explain(err, 'cannot list blobs');
      }
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.LastModified || object.LastModified >= options.before) continue;
        const key = object.Key.slice(this.settings.keyPrefix.length);
        // Someone else's object under our prefix: not addressable through the port, so not listed.
        if (isBlobKey(key)) yield { key, lastModified: object.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private objectKey(key: string): string {
    assertBlobKey(key);
    return `${this.settings.keyPrefix}${key}`;
  }

  private explain(err: unknown, what: string): BlobStoreUnavailable {
    const aws = err as AwsLikeError;
    const detail = `${aws.name ?? 'Error'}${aws.message ? `: ${aws.message}` : ''}`;
    const where = `bucket ${this.settings.bucket}`;
    return new BlobStoreUnavailable(
      isMisconfigured(aws)
        ? `${what}: S3 refused our credentials or configuration; check them, S3_BUCKET (${where}), ` +
            `S3_ENDPOINT and the IAM policy (${detail})`
        : `${what} in ${where}: S3 is unreachable or failed (${detail})`,
      { cause: err },
    );
  }
}

function isNotFound(err: unknown): boolean {
  const aws = err as AwsLikeError;
  if (aws.name === 'NoSuchBucket') return false;
  return aws.name === 'NoSuchKey' || aws.name === 'NotFound' || aws.$metadata?.httpStatusCode === 404;
}
