import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { PayloadTooLarge } from '../common/errors';
import { safeFilename } from '../jobs/safe-filename';
import { blobKeyFor } from '../storage/blob-key';
import type { BlobStore } from '../storage/blob-store.port';
import { fileTooLargeMessage } from './upload-messages';

/** Bytes of each file kept in memory for type sniffing (sniffContentType reads no further). */
export const HEAD_BYTES = 8192;

/** Where this request's files go: set on the request before multer runs. */
export interface UploadTarget {
  tenantId: string;
  /** Generated before the upload, so each file's blob key is known while it streams. */
  jobId: string;
}

export type UploadRequest = Request & { uploadTarget?: UploadTarget };

/** What each uploaded file becomes on `req.files`: its bytes are in the BlobStore, not here. */
export interface StreamedUpload {
  fieldname: string;
  originalname: string;
  encoding: string;
  /** The client's claim; never trusted (the type is sniffed from `head`). */
  mimetype: string;
  /** Order of arrival in the request, from 0; also the last segment of blobKey. */
  position: number;
  size: number;
  sha256: string;
  blobKey: string;
  /** The first HEAD_BYTES bytes (fewer for a shorter file). */
  head: Buffer;
}

type MulterFile = Express.Multer.File & Partial<StreamedUpload>;
type Info = Partial<Express.Multer.File> & Omit<StreamedUpload, 'fieldname' | 'originalname' | 'encoding' | 'mimetype'>;

/**
 * A multer StorageEngine that streams each file part straight into the BlobStore under
 * blobKeyFor(tenant, jobId, position) as it arrives (the store hashes and counts on the way),
 * keeping only the first HEAD_BYTES in memory. A file over multer's `limits.fileSize` stops its
 * put at once (multer answers LIMIT_FILE_SIZE, which the interceptor turns into a 413 naming
 * the file), so no partial blob is left; a request that fails later has its stored files
 * removed by multer through _removeFile.
 */
export class BlobUploadEngine implements StorageEngine {
  /** Per request: the next position to hand out, in arrival order (multer's req.files order). */
  private readonly positions = new WeakMap<Request, number>();

  constructor(
    private readonly store: BlobStore,
    private readonly maxFileBytes: number,
  ) {}

  _handleFile(req: Request, file: MulterFile, callback: (error?: unknown, info?: Info) => void): void {
    this.store$(req as UploadRequest, file).then(
      (info) => callback(null, info),
      (error: unknown) => callback(error),
    );
  }

  _removeFile(_req: Request, file: MulterFile, callback: (error: Error | null) => void): void {
    if (!file.blobKey) return callback(null);
    this.store.delete([file.blobKey]).then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  private async store$(req: UploadRequest, file: MulterFile): Promise<Info> {
    const target = req.uploadTarget;
    if (!target) throw new Error('BlobUploadEngine needs req.uploadTarget ({ tenantId, jobId }) set before multer');
    const position = this.positions.get(req) ?? 0;
    this.positions.set(req, position + 1);
    const blobKey = blobKeyFor(target.tenantId, target.jobId, position);

    const source: Readable = file.stream;
    const head = new HeadCapture(HEAD_BYTES);
    const controller = new AbortController();
    // busboy stops feeding a file at limits.fileSize and emits 'limit': stop the put with it.
    source.once('limit', () =>
      controller.abort(new PayloadTooLarge(fileTooLargeMessage(safeFilename(file.originalname), this.maxFileBytes))),
    );
    // pipeline: a request cut off mid-file errors the part stream, which fails the put.
    const body = pipeline(source, head, () => undefined);
    const stored = await this.store.put(blobKey, body, { signal: controller.signal });
    if ((source as Readable & { truncated?: boolean }).truncated || controller.signal.aborted) {
      // The limit fired as the last bytes arrived: the put finished, but the file is cut short.
      await this.store.delete([blobKey]);
      throw controller.signal.reason;
    }
    return { position, size: stored.size, sha256: stored.sha256, blobKey, head: head.bytes() };
  }
}

/** A pass-through that keeps a copy of the first `limit` bytes. */
class HeadCapture extends Transform {
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.keptBytes < this.limit) {
      // A copy: the head must not pin busboy's much larger chunk in memory.
      const piece = Buffer.from(chunk.subarray(0, this.limit - this.keptBytes));
      this.kept.push(piece);
      this.keptBytes += piece.length;
    }
    callback(null, chunk);
  }

  bytes(): Buffer {
    return Buffer.concat(this.kept, this.keptBytes);
  }
}
