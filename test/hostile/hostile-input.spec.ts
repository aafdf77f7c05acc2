import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { assertBuilt, type EntrypointProcess } from '../support/entrypoint-process';
import { CORPUS_DIR } from '../support/corpus';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import type { JobBody } from '../support/test-app';
import { report, startServer, startWorker, waitFor, type ServerProcess } from '../chaos/chaos-support';
import { generatedFiles, HOSTILE_NAMES, type HostileFile } from './hostile-files';

const BAD_DIR = join(CORPUS_DIR, 'bad');
const hasBadCorpus = existsSync(BAD_DIR);
const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) console.warn('[hostile] TEST_DATABASE_URL is not set: the hostile-input suite is skipped');
if (!hasBadCorpus) console.warn(`[hostile] ${BAD_DIR} not found: the bad-corpus cases are skipped`);

const IDLE_SECONDS = 2;
const MB = 1024 * 1024;

interface Answer {
  status: number;
  body: { message?: string; job_id?: string; [k: string]: unknown };
}

/** The server's peak resident memory so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
  return line ? Math.round(Number(line[1]) / 1024) : NaN;
}

/** A raw HTTP/1.1 exchange: for bodies fetch cannot send (cut off, stalled). */
function rawRequest(
  port: number,
  head: string,
  body: Buffer,
  then: 'wait' | 'cut',
  timeoutMs = 30_000,
): Promise<{ status: number | null; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms; got: ${text}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: status ? Number(status[1]) : null, text });
    };
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.write(head);
    socket.write(body, () => {
      if (then === 'cut') socket.destroy();
    });
  });
}

describePostgres('hostile input through a server and a worker process on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let server: ServerProcess;
  let worker: EntrypointProcess;
  const statuses: Array<[string, number]> = [];
  let generated: Awaited<ReturnType<typeof generatedFiles>>;

  async function call(what: string, path: string, init?: RequestInit): Promise<Answer> {
    const res = await fetch(`${server.url}${path}`, init);
    const text = await res.text();
    statuses.push([what, res.status]);
    let body: Answer['body'];
    try {
      body = text ? (JSON.parse(text) as Answer['body']) : {};
    } catch {
      body = { message: text };
    }
    return { status: res.status, body };
  }

  function upload(what: string, files: HostileFile[], fields: Array<[string, string]> = []): Promise<Answer> {
    const form = new FormData();
    for (const [k, v] of fields) form.append(k, v);
    for (const f of files) form.append('files', new Blob([new Uint8Array(f.bytes)], { type: f.type ?? '' }), f.name);
    return call(what, '/classify-documents-async', { method: 'POST', body: form });
  }

  const getJob = async (id: string) => (await call('get job', `/job/${id}`)).body as unknown as JobBody;
  const settle = (id: string) =>
    waitFor(
      `job ${id} to end`,
      () => getJob(id),
      (j) => !['pending', 'processing'].includes(j.status),
      120_000,
      250,
    );

  /** Upload, then: a 4xx naming what was wrong, or a job whose every document has an outcome. */
  async function throughEverything(title: string, files: HostileFile[]): Promise<string> {
    const started = Date.now();
    const answer = await upload(title, files).catch((err: Error) => {
      throw new Error(`${title}: ${err.message} (${String((err.cause as Error | undefined)?.message)})`);
    });
    expect(answer.status).toBeLessThan(500);
    if (answer.status !== 202) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.body.message).toEqual(expect.any(String));
      return `${title}: ${answer.status} "${answer.body.message}"`;
    }
    const job = await settle(answer.body.job_id!);
    expect(job.status).toBe('completed');
    for (const d of job.result.documents) {
      expect(['completed', 'failed']).toContain(d.status);
      if (d.status === 'failed') expect(d.error?.message).toEqual(expect.any(String));
    }
    const docs = job.result.documents.map((d) =>
      d.status === 'failed' ? `${d.filename}: failed ${d.error?.code}` : `${d.filename}: ${d.document_type}`,
    );
    return `${title}: 202, job ${job.status} (${((Date.now() - started) / 1000).toFixed(1)} s); ${docs.join('; ')}`;
  }

  beforeAll(async () => {
    assertBuilt();
    // Made before any request: seconds of making them between two requests would let the
    // server's keep-alive timeout close the connection fetch is about to reuse.
    generated = await generatedFiles();
    db = await createPostgresDatabase();
    server = await startServer(db.url, { UPLOAD_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) });
    worker = startWorker(db.url, {
      OCR_PROVIDER: 'tesseract',
      OCR_WORKERS: '1',
      WORKER_CONCURRENCY: '2',
      JOB_LEASE_SECONDS: '30',
      LOG_LEVEL: 'warn',
    });
  }, 60_000);
  afterAll(async () => {
    for (const p of [worker, server]) p?.proc.kill('SIGKILL');
    await Promise.all([worker, server].filter(Boolean).map((p) => p.exited));
    await db?.drop();
  }, 60_000);

  (hasBadCorpus ? it : it.skip)(
    hasBadCorpus ? 'every file of the bad corpus' : `every file of the bad corpus (skipped: ${BAD_DIR} not found)`,
    async () => {
      const lines: string[] = [];
      for (const file of readdirSync(BAD_DIR).sort())
        lines.push(await throughEverything(file, [{ name: file, bytes: readFileSync(join(BAD_DIR, file)) }]));
      report(`bad corpus (${BAD_DIR}): each a 4xx or a per-file outcome`, lines);
    },
    600_000,
  );

  it('generated hostile files: each a 4xx naming the file or a per-file error', async () => {
    const lines: string[] = [];
    for (const { title, files } of generated) lines.push(await throughEverything(title, files));
    report('generated hostile files', lines);
    expect(lines.find((l) => l.startsWith('zero bytes'))).toMatch(/400 "file 'empty.pdf' is empty"/);
    expect(lines.find((l) => l.startsWith('a type we do not read'))).toMatch(/415 .*tool\.txt/);
  }, 300_000);

  it('hostile file names: stored as safe base names, or a 400 for a header that cannot be parsed', async () => {
    const lines: string[] = [];
    const stored: string[] = [];
    for (const [title, name] of HOSTILE_NAMES) {
      const answer = await upload(title, [{ name, bytes: Buffer.from('RECEIPT\nCASH PAID 12.50\nTHANK YOU') }]);
      // A raw control character in the part header is one busboy cannot parse: a 400 saying so.
      if (answer.status === 400 && title === 'control characters') {
        expect(answer.body.message).toMatch(/^malformed upload/);
        lines.push(`${title}: ${answer.status} "${answer.body.message}"`);
        continue;
      }
      // Every other name is a file: one that is nothing once cleaned (`..`) is stored as
      // 'unnamed', not answered with a puzzling "no files".
      expect({ title, status: answer.status, message: answer.body.message }).toEqual({
        title,
        status: 202,
        message: undefined,
      });
      const job = await settle(answer.body.job_id!);
      const [document] = job.result.documents;
      expect(document.status).toBe('completed');
      stored.push(document.filename);
      lines.push(
        `${title}: ${JSON.stringify(name).slice(0, 50)} stored as ${JSON.stringify(document.filename).slice(0, 50)}`,
      );
    }
    report('hostile file names', lines);
    for (const name of stored) {
      expect(name).not.toMatch(/[/\\]/);
      // Controls (C0, DEL) and the bidirectional embeddings, overrides and isolates.
      expect(name).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    }
    expect(stored).toContain('passwd');
    expect(stored).toContain('win.ini');
    expect(stored.filter((name) => name === 'unnamed')).toHaveLength(3);
  }, 120_000);

  it('duplicated form fields: repeated categories are merged, a bad one is a 400, files under another field a 400', async () => {
    const text = [{ name: 'r.txt', bytes: Buffer.from('RECEIPT\nCASH PAID 12.50\nTHANK YOU') }];
    const merged = await upload('categories twice', text, [
      ['categories', 'invoice'],
      ['categories', 'receipt'],
    ]);
    const unknown = await upload('categories twice, one unknown', text, [
      ['categories', 'invoice'],
      ['categories', 'no-such-type'],
    ]);
    const otherField = new FormData();
    otherField.append('file', new Blob(['RECEIPT']), 'r.txt');
    const wrongField = await call('files under "file"', '/classify-documents-async', {
      method: 'POST',
      body: otherField,
    });
    const textAsFiles = await upload('files as a text field', [], [['files', 'not a file']]);
    report('duplicated and misplaced form fields', [
      `categories=invoice + categories=receipt: ${merged.status}`,
      `categories=invoice + categories=no-such-type: ${unknown.status} "${unknown.body.message}"`,
      `a file in field "file": ${wrongField.status} "${wrongField.body.message}"`,
      `"files" sent as a text field: ${textAsFiles.status} "${textAsFiles.body.message}"`,
    ]);
    expect(merged.status).toBe(202);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/no-such-type/);
    expect(wrongField.status).toBe(400);
    expect(wrongField.body.message).toMatch(/'file'/);
    expect(textAsFiles.status).toBe(400);
  }, 60_000);

  it('a multipart body cut off mid-file: 400 when it ends early, the server unhurt when the connection drops', async () => {
    const port = Number(new URL(server.url).port);
    const part =
      '--XyZ\r\nContent-Disposition: form-data; name="files"; filename="cut.txt"\r\nContent-Type: text/plain\r\n\r\n' +
      'RECEIPT\nCASH PAID 12.50\nTHANK Y';
    const body = Buffer.from(part);
    const head = (length: number) =>
      `POST /classify-documents-async HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n` +
      `Content-Length: ${length}\r\nConnection: close\r\n\r\n`;
    const ended = await rawRequest(port, head(body.length), body, 'wait');
    const dropped = await rawRequest(port, head(body.length + 100_000), body, 'cut');
    const health = await call('health after the cut', '/health');
    report('multipart body cut off mid-file', [
      `the body ends inside the file (no closing boundary): ${ended.status} ${ended.text.split('\r\n\r\n')[1] ?? ''}`,
      `the client drops the connection mid-file: no answer possible; /health afterwards ${health.status}`,
    ]);
    expect(ended.status).toBe(400);
    expect(ended.text).toMatch(/malformed upload/);
    expect(dropped.status).toBeNull();
    expect(health.status).toBe(200);
  }, 60_000);

  it(`a body that stalls is answered 408 after UPLOAD_IDLE_TIMEOUT_SECONDS (${IDLE_SECONDS} s here)`, async () => {
    const port = Number(new URL(server.url).port);
    const part = Buffer.from(
      '--XyZ\r\nContent-Disposition: form-data; name="files"; filename="stall.txt"\r\nContent-Type: text/plain\r\n\r\nRECEIPT\n',
    );
    const head =
      `POST /classify-documents-async HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n` +
      `Content-Length: ${part.length + 50_000}\r\n\r\n`;
    const stalled = await rawRequest(port, head, part, 'wait');
    const health = await call('health after the stall', '/health');
    report('a body that stalls', [
      `sent the headers and the first bytes of a file, then nothing: ${stalled.status}, ${stalled.text.split('\r\n\r\n')[1]}`,
      `the connection was closed by the server after the answer; /health afterwards ${health.status}`,
    ]);
    expect(stalled.status).toBe(408);
    expect(stalled.text).toMatch(/the upload stalled: no bytes arrived for 2 s/);
    expect(health.status).toBe(200);
  }, 60_000);

  it('integers past 2^31 in every path and query parameter: 400 or 404, never 5xx', async () => {
    const job = (await upload('a job to address', [{ name: 'r.txt', bytes: Buffer.from('RECEIPT\nTOTAL 1.00') }])).body
      .job_id!;
    const big = ['2147483648', '4294967296', '9223372036854775808', '99999999999999999999999', '-2147483649', '1e400'];
    const cases: Array<[string, string, RequestInit?]> = [];
    const label = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"label":"invoice"}' };
    for (const n of big) {
      cases.push([`GET /job/${n}`, `/job/${n}`]);
      cases.push([`POST /job/${n}/cancel`, `/job/${n}/cancel`, { method: 'POST' }]);
      cases.push([`POST /job/${n}/retry`, `/job/${n}/retry`, { method: 'POST' }]);
      cases.push([`DELETE /job/${n}`, `/job/${n}`, { method: 'DELETE' }]);
      cases.push([`POST /job/{id}/documents/${n}/label`, `/job/${job}/documents/${n}/label`, label]);
      cases.push([`POST /job/${n}/documents/${n}/label`, `/job/${n}/documents/${n}/label`, label]);
      cases.push([`GET /jobs?limit=${n}`, `/jobs?limit=${n}`]);
      cases.push([`GET /jobs?cursor=${n}`, `/jobs?cursor=${n}`]);
      cases.push([`GET /jobs?status=${n}`, `/jobs?status=${n}`]);
      cases.push([`GET /jobs?limit[]=${n}`, `/jobs?limit[]=${n}`]);
    }
    const answers: string[] = [];
    for (const [what, path, init] of cases) {
      const a = await call(what, path, init);
      answers.push(`${what}: ${a.status} ${a.body.message ?? ''}`);
      expect([400, 404]).toContain(a.status);
      expect(a.body.message).toEqual(expect.any(String));
    }
    report(
      `integers past 2^31 (${cases.length} requests)`,
      answers.filter((_, i) => i < 10),
    );
  }, 120_000);

  it('20 uploads of 25 MB at once: all accepted, and the server peak RSS stays under 400 MB', async () => {
    // A server process of its own, on the default UPLOAD_IDLE_TIMEOUT_SECONDS (one client sending 20
    // bodies at once leaves some of them quiet for seconds), so the peak is this test's alone.
    const main = server;
    server = await startServer(db.url);
    const bytes = Buffer.alloc(25 * MB, 'x');
    Buffer.from('%PDF-1.4\n').copy(bytes);
    const big = async () => {
      const before = peakRssMb(server.proc.pid!);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => upload(`25 MB upload ${i}`, [{ name: `big-${i}.pdf`, bytes }])),
      );
      const peak = peakRssMb(server.proc.pid!);
      // Not for the worker to read 500 MB of filler: the test is the upload.
      for (const a of answers)
        if (a.body.job_id) await call('delete big job', `/job/${a.body.job_id}`, { method: 'DELETE' });
      const over = await upload('one byte over', [{ name: 'over.pdf', bytes: Buffer.alloc(25 * MB + 1, 'x') }]);
      return { before, answers, peak, over, alive: server.proc.exitCode === null };
    };
    const { before, answers, peak, over, alive } = await big().finally(async () => {
      server.proc.kill('SIGKILL');
      await server.exited;
      server = main;
    });
    report('20 concurrent uploads of 25 MB (a server process of its own)', [
      `statuses: ${[...new Set(answers.map((a) => a.status))].join(', ')} (${answers.filter((a) => a.status === 202).length}/20 accepted)`,
      `server peak RSS (VmHWM): ${before} MB after boot, ${peak} MB after the uploads (bound: 400 MB)`,
      `a file of 25 MB + 1 byte: ${over.status} "${over.body.message}"; server still running: ${alive}`,
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    expect(peak).toBeLessThan(400);
    expect(over.status).toBe(413);
    expect(alive).toBe(true);
  }, 300_000);

  it('no 5xx anywhere, and both processes are still up', async () => {
    const health = await call('health', '/health');
    const fivexx = statuses.filter(([, s]) => s >= 500);
    report('after everything', [
      `${statuses.length} requests, ${fivexx.length} answered 5xx`,
      `server running: ${server.proc.exitCode === null}, worker running: ${worker.proc.exitCode === null}; /health ${health.status}`,
      `server peak RSS: ${peakRssMb(server.proc.pid!)} MB`,
    ]);
    expect(fivexx).toEqual([]);
    expect(server.proc.exitCode).toBeNull();
    expect(worker.proc.exitCode).toBeNull();
    expect(health.status).toBe(200);
  });
});
