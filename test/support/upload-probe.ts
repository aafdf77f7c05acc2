import { Controller, Module, Post, Req, UseInterceptors, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AllExceptionsFilter } from '../../src/common/all-exceptions.filter';
import { AppConfig } from '../../src/config/app-config';
import type { StreamedUpload, UploadRequest } from '../../src/http/blob-upload.engine';
import { BlobUploadInterceptor } from '../../src/http/blob-upload.interceptor';
import { sniffContentType } from '../../src/jobs/upload-inspector';
import { BlobStore } from '../../src/storage/blob-store.port';

/** A tiny app whose one route takes an upload through BlobUploadInterceptor and describes it. */
@Controller()
export class UploadProbeController {
  @Post('upload')
  @UseInterceptors(BlobUploadInterceptor)
  async upload(@Req() req: UploadRequest): Promise<unknown> {
    const files = req.files as unknown as StreamedUpload[];
    return {
      jobId: req.uploadTarget?.jobId,
      files: await Promise.all(
        files.map(async (f) => ({
          originalname: f.originalname,
          position: f.position,
          size: f.size,
          sha256: f.sha256,
          blobKey: f.blobKey,
          headBytes: f.head.length,
          type: await sniffContentType(f.originalname, f.head),
        })),
      ),
    };
  }
}

export async function startApp(store: BlobStore, env: Record<string, string> = {}): Promise<INestApplication> {
  const config = AppConfig.fromEnvironment({ LOG_LEVEL: 'silent', ...env });
  @Module({
    controllers: [UploadProbeController],
    providers: [
      { provide: AppConfig, useValue: config },
      { provide: BlobStore, useValue: store },
      BlobUploadInterceptor,
      { provide: APP_FILTER, useClass: AllExceptionsFilter },
    ],
  })
  class ProbeModule {}
  const moduleRef = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

/** A deterministic PDF-looking body generated piece by piece, never whole in memory. */
export function* pdfBody(size: number, seed: number): Generator<Buffer> {
  const piece = 64 * 1024;
  for (let at = 0; at < size; at += piece) {
    const chunk = Buffer.alloc(Math.min(piece, size - at), (seed + at / piece) % 251);
    if (at === 0) chunk.write('%PDF-1.7\n');
    yield chunk;
  }
}

export function sha256Of(pieces: Iterable<Buffer>): string {
  const hash = createHash('sha256');
  for (const p of pieces) hash.update(p);
  return hash.digest('hex');
}

/** A multipart body streamed over a raw request; cutAfter destroys the socket after that many bytes. */
export function streamUpload(
  port: number,
  files: { name: string; size: number; seed: number }[],
  cutAfter?: number,
): Promise<{ status: number; body: string }> {
  const boundary = 'blobuploadboundary42';
  function* parts(): Generator<Buffer> {
    for (const f of files) {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\n` +
          'Content-Type: application/pdf\r\n\r\n',
      );
      yield* pdfBody(f.size, f.seed);
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/upload',
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (err) => (cutAfter === undefined ? reject(err) : resolve({ status: 0, body: err.message })));
    let sent = 0;
    async function* limited(): AsyncGenerator<Buffer> {
      for (const p of parts()) {
        if (cutAfter !== undefined && sent + p.length > cutAfter) {
          yield p.subarray(0, cutAfter - sent);
          // Let the server take in what was sent, then cut the connection mid-file.
          await new Promise((r) => setTimeout(r, 300));
          req.destroy();
          return;
        }
        sent += p.length;
        yield p;
      }
    }
    pipeline(Readable.from(limited()), req).catch(() => undefined);
  });
}
