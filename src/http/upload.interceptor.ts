import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import multer, { MulterError } from 'multer';
import type { Observable } from 'rxjs';
import { InvalidRequest, PayloadTooLarge } from '../common/errors';
import { AppConfig } from '../config/app-config';

/**
 * Parses the multipart upload into memory with the configured limits, and turns multer's
 * errors into domain errors that say which limit was hit (Nest's FilesInterceptor would answer
 * "File too large" with no limit in it).
 */
@Injectable()
export class UploadInterceptor implements NestInterceptor {
  private readonly upload: ReturnType<ReturnType<typeof multer>['array']>;

  constructor(private readonly config: AppConfig) {
    const { maxFiles, maxFileBytes } = config.uploads;
    this.upload = multer({
      storage: multer.memoryStorage(),
      defParamCharset: 'utf8',
      limits: { fileSize: maxFileBytes, files: maxFiles, fields: 20, fieldSize: 64 * 1024, parts: maxFiles + 20 },
    }).array('files', maxFiles);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    await new Promise<void>((resolve, reject) =>
      this.upload(http.getRequest<Request>(), http.getResponse<Response>(), (err: unknown) =>
        err ? reject(this.explain(err)) : resolve(),
      ),
    );
    return next.handle();
  }

  private explain(err: unknown): unknown {
    // Busboy's own errors ("Unexpected end of form", "Malformed part header", ...): memory
    // storage has no failure of ours, so whatever else the parser says is about the body.
    if (!(err instanceof MulterError))
      return new InvalidRequest(`malformed upload: ${err instanceof Error ? err.message : String(err)}`);
    const { maxFiles, maxFileBytes } = this.config.uploads;
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return new PayloadTooLarge(
          `a file is larger than the upload limit of ${maxFileBytes / 1024 / 1024} MB per file`,
        );
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
