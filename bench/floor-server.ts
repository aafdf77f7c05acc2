import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import { Pool } from 'pg';

/**
 * The API benchmark's floor: the least a server can do to accept the same upload durably. Bare
 * node:http + busboy + pg, no framework: the multipart body is parsed as it streams, each file
 * hashed and kept, then the job and its files are written in ONE statement (bytes in bytea, as
 * Doc Inbox's database blob store keeps them) with one NOTIFY, synchronous_commit on, and a 202.
 * Doc Inbox's job creation is measured against this.
 */
const SCHEMA = `
  create table if not exists floor_jobs (
    id uuid primary key, tenant_id text not null, status text not null default 'pending',
    created_at timestamptz not null default now());
  create table if not exists floor_files (
    job_id uuid not null references floor_jobs (id) on delete cascade, position int not null,
    filename text not null, content_type text not null, size int not null, sha256 text not null,
    bytes bytea not null, primary key (job_id, position));`;

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
  await pool.query(SCHEMA);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') return answer(res, 200, { status: 'ok' });
    if (req.method !== 'POST' || req.url !== '/classify-documents-async') return answer(res, 404, {});
    readUpload(req)
      .then(async (files) => {
        if (files.length === 0) return answer(res, 400, { message: 'no files' });
        const id = randomUUID();
        await pool.query(insertStatement(files.length), [
          id,
          ...files.flatMap((f) => [f.filename, f.contentType, f.sha256, f.bytes]),
        ]);
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
