import { randomUUID } from 'node:crypto';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import multer, { MulterError } from 'multer';
import type { Observable } from 'rxjs';
import {
  DomainError,
  idForMessage,
  InvalidRequest,
  isStorageFull,
  PayloadTooLarge,
  RequestTimeout,
  StorageFull,
  UnsupportedMediaType,
} from '../common/errors';
import { AppConfig } from '../config/app-config';
import { principalOf, type PrincipalRequest } from '../tenants/request-principal';
import { BlobStore } from '../storage/blob-store.port';
import { BlobUploadEngine, type StreamedUpload, type UploadRequest } from './blob-upload.engine';
import { fileTooLargeMessage, notMultipartMessage } from './upload-messages';
import { safeFilename } from '../jobs/safe-filename';

/**
 * Parses the multipart upload with the configured limits, streaming each file of field `files`
 * into the BlobStore as it arrives (BlobUploadEngine). Before multer runs it gives the request
 * its target: the caller's tenant (req.principal, set by ApiKeyGuard) and a fresh job id,
 * so the handler finds `req.files` as StreamedUpload[] and `req.uploadTarget.jobId` to create
 * the job under. Multer's errors become domain errors that say which limit was hit and, for a
 * file over the size limit, which file. On success the blobs are the handler's to commit or
 * delete (discardUploads); the orphan sweep is the backstop.
 */
@Injectable()
export class BlobUploadInterceptor implements NestInterceptor {
  private readonly upload: ReturnType<ReturnType<typeof multer>['array']>;

  constructor(
    private readonly config: AppConfig,
    store: BlobStore,
  ) {
    const { maxFiles, maxFileBytes } = config.uploads;
    this.upload = multer({
      storage: new BlobUploadEngine(store, maxFileBytes),
      defParamCharset: 'utf8',
      // The name as sent: safeFilename takes its base name. busboy's own would turn `..`, `.` or
      // `a/..` into an empty name, and a part without one is no file ("no files").
      preservePath: true,
      limits: { fileSize: maxFileBytes, files: maxFiles, fields: 20, fieldSize: 64 * 1024, parts: maxFiles + 20 },
    }).array('files', maxFiles);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<UploadRequest & PrincipalRequest>();
    // The guard ran first: the files go under the caller's tenant.
    req.uploadTarget ??= { tenantId: principalOf(req).tenantId, jobId: randomUUID() };
    // Multer skips a body that is not multipart, which would end as a puzzling "no files".
    const contentType = req.headers['content-type'];
    if (contentType && !req.is('multipart/form-data')) {
      throw new UnsupportedMediaType(notMultipartMessage(idForMessage(contentType.split(';')[0].trim())));
    }
    const res = http.getResponse<Response>();
    await new Promise<void>((resolve, reject) => {
      const stalled = this.watchForStall(req, res, reject);
      this.upload(req, res, (err: unknown) => {
        stalled.cancel();
        if (err) reject(this.explain(err));
        else resolve();
      });
    });
    return next.handle();
  }

  /**
   * A body that stops arriving would hold the request (and its half-stored files) until Node's
   * own 5-minute limit. After UPLOAD_IDLE_TIMEOUT_SECONDS without a byte it is answered 408, the
   * request is failed so multer removes what it stored, and the connection is closed after the
   * answer. Time the body spends paused by us (backpressure from a slow blob store) is not idle,
   * and the verdict waits one turn of the event loop, so bytes that arrived while the loop was
   * busy are counted before a busy server blames its client.
   */
  private watchForStall(req: UploadRequest, res: Response, reject: (err: unknown) => void): { cancel(): void } {
    const { idleTimeoutMs } = this.config.uploads;
    let lastActive = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let check: NodeJS.Immediate | undefined;
    const active = () => {
      lastActive = Date.now();
    };
    const arm = (ms: number) => {
      timer = setTimeout(() => (check = setImmediate(judge)), ms);
    };
    const judge = () => {
      if (req.readableFlowing === false) {
        active();
        return arm(idleTimeoutMs);
      }
      const idle = Date.now() - lastActive;
      if (idle < idleTimeoutMs) return arm(idleTimeoutMs - idle);
      cancel();
      const err = new RequestTimeout(
        `the upload stalled: no bytes arrived for ${idleTimeoutMs / 1000} s; send the whole body without pausing`,
      );
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.destroy());
      reject(err);
      // Multer stops parsing and removes the files it stored.
      req.emit('error', err);
    };
    const cancel = () => {
      clearTimeout(timer);
      clearImmediate(check);
      req.off('data', active);
      req.off('resume', active);
    };
    req.on('data', active);
    req.on('resume', active);
    arm(idleTimeoutMs);
    return { cancel };
  }

  private explain(err: unknown): unknown {
    // A full disk is ours, not the body's, whichever stream reported it first.
    if (isStorageFull(err) && !(err instanceof StorageFull)) return new StorageFull(err);
    // The store's own failures (503) and our domain errors pass through as they are.
    if (err instanceof DomainError) return err;
    // Busboy's errors ("Unexpected end of form", "Malformed part header", ...) are about the body.
    if (!(err instanceof MulterError))
      return new InvalidRequest(`malformed upload: ${err instanceof Error ? err.message : String(err)}`);
    const { maxFiles, maxFileBytes } = this.config.uploads;
    switch (err.code) {
      case 'LIMIT_FILE_SIZE': {
        const name = (err as MulterError & { filename?: string }).filename;
        return new PayloadTooLarge(fileTooLargeMessage(name === undefined ? name : safeFilename(name), maxFileBytes));
      }
      case 'LIMIT_FILE_COUNT':
      case 'LIMIT_UNEXPECTED_FILE':
        return err.field && err.field !== 'files'
          ? new InvalidRequest(`unexpected file field '${err.field}': send documents in the field 'files'`)
          : new PayloadTooLarge(`too many files: at most ${maxFiles} per job`);
      case 'LIMIT_PART_COUNT':
        return new PayloadTooLarge('too many parts in the multipart body');
      default:
        return new InvalidRequest(`malformed upload: ${err.message}`);
    }
  }
}

/** Deletes the blobs of an upload whose job was not created (refused, replayed, or failed). */
export async function discardUploads(
  store: BlobStore,
  files: readonly Pick<StreamedUpload, 'blobKey'>[],
): Promise<void> {
  if (files.length > 0) await store.delete(files.map((f) => f.blobKey));
}
