import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import { Pool } from 'pg';

/**
 * The API benchmark's floor: the least a server can do to accept the same upload durably. Bare
 * node:http + busboy + pg, no framework: the multipart body is parsed as it streams, each file
 * hashed and kept, then the job and its files are written in ONE statement (bytes in bytea, as
 * Doc Inbox's database blob store keeps them) with one NOTIFY, synchronous_commit on, and a 202.
 * Doc Inbox's job creation is measured against this.
 *
 * With BENCH_BLOB_DIR, each file's bytes go to a file there instead (written, fsynced, renamed
 * into the job's directory, the directory fsynced, as BLOB_STORE=filesystem does) and the
 * statement writes only the rows.
 */
const SCHEMA = `
  create table if not exists floor_jobs (
    id uuid primary key, tenant_id text not null, status text not null default 'pending',
    created_at timestamptz not null default now());
  create table if not exists floor_files (
    job_id uuid not null references floor_jobs (id) on delete cascade, position int not null,
    filename text not null, content_type text not null, size int not null, sha256 text not null,
    bytes bytea, blob_key text, primary key (job_id, position));`;

/**
 * The job and its files in one statement, one NOTIFY. Each file's bytes are a parameter of their
 * own: node-postgres sends a Buffer parameter as binary, where a bytea[] would go as hex text.
 */
function insertStatement(files: number): string {
  const rows = Array.from({ length: files }, (_, i) => {
    const p = 2 + i * 4;
    return `(${i}, $${p}::text, $${p + 1}::text, $${p + 2}::text, $${p + 3}::bytea)`;
  });
  return `
  with job as (insert into floor_jobs (id, tenant_id) values ($1, 'default') returning id),
  files as (
    insert into floor_files (job_id, position, filename, content_type, size, sha256, bytes)
    select (select id from job), f.position, f.filename, f.content_type, octet_length(f.bytes), f.sha256, f.bytes
    from (values ${rows.join(', ')}) as f(position, filename, content_type, sha256, bytes)
    returning 1)
  select pg_notify('floor_jobs', $1::text), (select count(*) from files) as files`;
}

/** The same with the bytes already in files: each file's key and size instead of its bytes. */
function insertKeysStatement(files: number): string {
  const rows = Array.from({ length: files }, (_, i) => {
    const p = 2 + i * 5;
    return `(${i}, $${p}::text, $${p + 1}::text, $${p + 2}::text, $${p + 3}::text, $${p + 4}::int)`;
  });
  return `
  with job as (insert into floor_jobs (id, tenant_id) values ($1, 'default') returning id),
  files as (
    insert into floor_files (job_id, position, filename, content_type, size, sha256, blob_key)
    select (select id from job), f.position, f.filename, f.content_type, f.size, f.sha256, f.blob_key
    from (values ${rows.join(', ')}) as f(position, filename, content_type, sha256, blob_key, size)
    returning 1)
  select pg_notify('floor_jobs', $1::text), (select count(*) from files) as files`;
}

/** Durably, as BLOB_STORE=filesystem does: a temp file fsynced, renamed, its directory fsynced. */
async function writeBlob(root: string, key: string, bytes: Buffer): Promise<void> {
  const target = join(root, key);
  const temp = join(root, '.tmp', randomUUID());
  const file = await open(temp, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  const dir = join(target, '..');
  await mkdir(dir, { recursive: true });
  await rename(temp, target);
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function store(pool: Pool, id: string, files: UploadedFile[], blobDir: string | undefined): Promise<void> {
  if (!blobDir) {
    await pool.query(insertStatement(files.length), [
      id,
      ...files.flatMap((f) => [f.filename, f.contentType, f.sha256, f.bytes]),
    ]);
    return;
  }
  const keys = files.map((_, i) => `${id}/${i}`);
  await Promise.all(files.map((f, i) => writeBlob(blobDir, keys[i], f.bytes)));
  await pool.query(insertKeysStatement(files.length), [
    id,
    ...files.flatMap((f, i) => [f.filename, f.contentType, f.sha256, keys[i], f.bytes.length]),
  ]);
}

interface UploadedFile {
  filename: string;
  contentType: string;
  sha256: string;
  bytes: Buffer;
}

function readUpload(req: IncomingMessage): Promise<UploadedFile[]> {
  return new Promise((resolve, reject) => {
    const files: UploadedFile[] = [];
    const parser = busboy({ headers: req.headers, limits: { fileSize: 25 * 1024 * 1024, files: 20 } });
    parser.on('file', (_field, stream, info) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        chunks.push(chunk);
      });
      stream.on('end', () =>
        files.push({
          filename: info.filename ?? 'upload',
          contentType: info.mimeType,
          sha256: hash.digest('hex'),
          bytes: Buffer.concat(chunks),
        }),
      );
    });
    parser.on('error', reject);
    parser.on('close', () => resolve(files));
    req.pipe(parser);
  });
}

function answer(res: ServerResponse, status: number, body: object): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.BENCH_DB_URL, max: 10 });
  const blobDir = process.env.BENCH_BLOB_DIR || undefined;
  await pool.query(SCHEMA);
  if (blobDir) await mkdir(join(blobDir, '.tmp'), { recursive: true });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') return answer(res, 200, { status: 'ok' });
    if (req.method !== 'POST' || req.url !== '/classify-documents-async') return answer(res, 404, {});
    readUpload(req)
      .then(async (files) => {
        if (files.length === 0) return answer(res, 400, { message: 'no files' });
        const id = randomUUID();
        await store(pool, id, files, blobDir);
        res.setHeader('location', `/job/${id}`);
        answer(res, 202, { job_id: id, status: 'pending' });
      })
      .catch((err: unknown) => answer(res, 500, { message: String(err) }));
  });
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    console.log(`floor listening on ${(server.address() as AddressInfo).port}`);
  });
  const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
