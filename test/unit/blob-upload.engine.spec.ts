import { Controller, Module, Post, Req, UseInterceptors, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import supertest from 'supertest';
import { AllExceptionsFilter } from '../../src/common/all-exceptions.filter';
import { AppConfig } from '../../src/config/app-config';
import { Migrator } from '../../src/database/migrator';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';
import type { SqlClient } from '../../src/database/sql-client.port';
import { HEAD_BYTES, type StreamedUpload, type UploadRequest } from '../../src/jobs/blob-upload.engine';
import { BlobUploadInterceptor } from '../../src/jobs/blob-upload.interceptor';
import { sniffContentType } from '../../src/jobs/upload-inspector';
import { BlobStore, readBlob } from '../../src/storage/blob-store.port';
import { DatabaseBlobStore } from '../../src/storage/database.blob-store';
import { FilesystemBlobStore } from '../../src/storage/filesystem.blob-store';

const MiB = 1024 * 1024;

@Controller()
class UploadProbeController {
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

interface Backend {
  store: BlobStore;
  /** Staged or half-written puts (chunks, temp files). */
  leftovers(): Promise<number>;
  dispose(): Promise<void>;
}

const backends: { name: string; create(onDisk: boolean): Promise<Backend> }[] = [
  {
    name: 'filesystem',
    async create() {
      const dir = await mkdtemp(join(tmpdir(), 'upload-fs-'));
      return {
        store: new FilesystemBlobStore(dir),
        leftovers: async () => (await readdir(join(dir, '.tmp')).catch(() => [])).length,
        dispose: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'database (PGlite)',
    async create(onDisk) {
      // On disk for the big run: in memory, PGlite would hold every byte in its WebAssembly heap.
      const dir = onDisk ? await mkdtemp(join(tmpdir(), 'upload-db-')) : undefined;
      const sql: SqlClient = await PgliteSqlClient.open(dir);
      await new Migrator(sql).migrate();
      return {
        store: new DatabaseBlobStore(sql),
        leftovers: async () =>
          Number(
            (
              await sql.query<{ n: string }>(
                'select (select count(*) from inbox_blob_uploads) + (select count(*) from inbox_blob_chunks) as n',
              )
            )[0].n,
          ) -
          Number((await sql.query<{ n: string }>('select coalesce(sum(chunk_count), 0) as n from inbox_blobs'))[0].n),
        async dispose() {
          await sql.close();
          if (dir) await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

async function startApp(store: BlobStore, env: Record<string, string> = {}): Promise<INestApplication> {
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

async function allKeys(store: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const blob of store.list({ before: new Date(Date.now() + 3600_000) })) keys.push(blob.key);
  return keys.sort();
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return condition();
}

/** A deterministic PDF-looking body generated piece by piece, never whole in memory. */
function* pdfBody(size: number, seed: number): Generator<Buffer> {
  const piece = 64 * 1024;
  for (let at = 0; at < size; at += piece) {
    const chunk = Buffer.alloc(Math.min(piece, size - at), (seed + at / piece) % 251);
    if (at === 0) chunk.write('%PDF-1.7\n');
    yield chunk;
  }
}

function sha256Of(pieces: Iterable<Buffer>): string {
  const hash = createHash('sha256');
  for (const p of pieces) hash.update(p);
  return hash.digest('hex');
}

/** A multipart body streamed over a raw request; cutAfter destroys the socket after that many bytes. */
function streamUpload(
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

describe.each(backends)('BlobUploadInterceptor over $name', (backend) => {
  // PGlite's first start and migration take seconds on a busy machine.
  jest.setTimeout(60_000);
  let b: Backend;
  let app: INestApplication;
  let port: number;

  afterEach(async () => {
    await app?.close();
    await b?.dispose();
  });

  async function start(env: Record<string, string> = {}, onDisk = false): Promise<void> {
    b = await backend.create(onDisk);
    app = await startApp(b.store, env);
    port = (app.getHttpServer().address() as AddressInfo).port;
  }

  it('streams each file into the store under tenant/job/position, with its sha256, size and head', async () => {
    await start();
    const small = Buffer.from('Invoice 4711\nAmount due: 12.00 EUR\n');
    const pdf = Buffer.concat([...pdfBody(3 * MiB + 17, 7)]);
    const res = await supertest(app.getHttpServer())
      .post('/upload')
      .attach('files', small, 'note.txt')
      .attach('files', pdf, 'scan.pdf')
      .expect(201);
    const { jobId, files } = res.body as { jobId: string; files: Record<string, unknown>[] };
    expect(files).toEqual([
      {
        originalname: 'note.txt',
        position: 0,
        size: small.length,
        sha256: sha256Of([small]),
        blobKey: `default/${jobId}/0`,
        headBytes: small.length,
        type: 'text/plain',
      },
      {
        originalname: 'scan.pdf',
        position: 1,
        size: pdf.length,
        sha256: sha256Of([pdf]),
        blobKey: `default/${jobId}/1`,
        headBytes: HEAD_BYTES,
        type: 'application/pdf',
      },
    ]);
    expect((await readBlob(b.store, `default/${jobId}/1`)).equals(pdf)).toBe(true);
  });

  it('answers 413 naming a file over the limit, and leaves no blob of the request behind', async () => {
    await start({ UPLOAD_MAX_FILE_MB: '1' });
    const res = await supertest(app.getHttpServer())
      .post('/upload')
      .attach('files', Buffer.from('a small text file that fits\n'), 'fits.txt')
      .attach('files', Buffer.concat([...pdfBody(MiB + MiB / 2, 3)]), 'too-big.pdf')
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413 });
    expect((res.body as { message: string }).message).toBe(
      "file 'too-big.pdf' is larger than the upload limit of 1 MB per file",
    );
    expect(await waitFor(async () => (await allKeys(b.store)).length === 0 && (await b.leftovers()) === 0)).toBe(true);
  });

  it('leaves no blob behind when the body is cut off mid-file', async () => {
    await start();
    const first = 2 * MiB;
    const pending = streamUpload(
      port,
      [
        { name: 'first.pdf', size: first, seed: 1 },
        { name: 'second.pdf', size: 8 * MiB, seed: 2 },
      ],
      first + 3 * MiB,
    );
    // The first file is stored before the cut, so the clean-up below has something to undo.
    expect(await waitFor(async () => (await allKeys(b.store)).length === 1)).toBe(true);
    await pending;
    expect(await waitFor(async () => (await allKeys(b.store)).length === 0 && (await b.leftovers()) === 0)).toBe(true);
  });

  it('takes 20 concurrent uploads of 25 MB each with memory far below their 500 MB', async () => {
    await start({}, true);
    const count = 20;
    const size = 25 * 1000 * 1000;
    global.gc?.();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    let peakBuffers = baseline.arrayBuffers;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
    }, 20);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) => streamUpload(port, [{ name: `doc-${i}.pdf`, size, seed: i }])),
    );
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    for (const [i, answer] of answers.entries()) {
      expect(answer.status).toBe(201);
      const [file] = (JSON.parse(answer.body) as { files: { size: number; sha256: string }[] }).files;
      expect(file).toMatchObject({ size, sha256: sha256Of(pdfBody(size, i)) });
    }
    expect(await allKeys(b.store)).toHaveLength(count);
    const mb = (n: number): string => (n / 1e6).toFixed(0);
    console.log(
      `[upload memory] ${backend.name}: ${count} x ${size / 1e6} MB in ${seconds.toFixed(1)} s; ` +
        `peak RSS ${mb(peakRss)} MB (+${mb(peakRss - baseline.rss)} over baseline ${mb(baseline.rss)}), ` +
        `peak heap ${mb(peakHeap)} MB (+${mb(peakHeap - baseline.heapUsed)}), ` +
        `peak array buffers ${mb(peakBuffers)} MB (+${mb(peakBuffers - baseline.arrayBuffers)}) ` +
        '(client and server in this process)',
    );
    // Holding the uploads whole would add at least count * size = 500 MB of buffers.
    expect(peakBuffers - baseline.arrayBuffers).toBeLessThan(150e6);
    expect(peakHeap - baseline.heapUsed).toBeLessThan(150e6);
  }, 300_000);
});
