import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, freePort, spawnEntrypoint, type EntrypointProcess } from '../support/entrypoint-process';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BOUNDARY = 'shutdowntestboundary';

/** A multipart upload of one text file, split in two: the head (headers and half the file) and the rest. */
function uploadInTwo(): { head: Buffer; rest: Buffer; fileSize: number } {
  const text = Buffer.from('Invoice 1234\nTotal due: 99.00 EUR\n'.repeat(2000));
  const body = Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="late.txt"\r\n` +
        'Content-Type: text/plain\r\n\r\n',
    ),
    text,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  const request = Buffer.from(
    'POST /classify-documents-async HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n' +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  const whole = Buffer.concat([request, body]);
  const cut = request.length + Math.floor(body.length / 2);
  return { head: whole.subarray(0, cut), rest: whole.subarray(cut), fileSize: text.length };
}

/** A raw connection: the first bytes the server sends, and everything it sends until it closes. */
async function open(port: number): Promise<{ socket: Socket; answered: Promise<void>; received: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
  const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  const received = new Promise<string>((resolve) => socket.once('close', () => resolve(data)));
  socket.on('error', () => undefined);
  return { socket, answered, received };
}

/**
 * A kept-alive connection whose one request has been answered. Asked after an upload's head was
 * sent on another connection, its answer also says the server has read that head by now.
 */
async function idleConnection(port: number): ReturnType<typeof open> {
  const idle = await open(port);
  idle.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  await idle.answered;
  return idle;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

describe('the server on SIGTERM (all-in-one, embedded database)', () => {
  let dataDir: string;
  let port: number;
  const servers: EntrypointProcess[] = [];

  function start(env: Record<string, string> = {}): EntrypointProcess {
    const server = spawnEntrypoint('server', {
      PORT: String(port),
      DATA_DIR: dataDir,
      OCR_PROVIDER: 'none',
      CLASSIFIER_PROVIDER: 'local',
      ...env,
    });
    servers.push(server);
    return server;
  }

  beforeAll(() => assertBuilt());
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-shutdown-'));
    port = await freePort();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.proc.kill('SIGKILL');
      await s.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes an upload that is still streaming, refuses new connections, closes idle ones, and loses nothing', async () => {
    let server = start();
    await server.waitForLine(/Doc Inbox listening/);
    const { head, rest, fileSize } = uploadInTwo();
    const upload = await open(port);
    upload.socket.write(head);
    // A kept-alive connection with nothing in flight: it must not hold the shutdown open.
    const idle = await idleConnection(port);
    await sleep(200);

    server.proc.kill('SIGTERM');
    await server.waitForLine(/waiting for 1 request\(s\) in flight/);
    expect(await refused(port)).toBe(true);
    expect(await idle.received).toMatch(/^HTTP\/1\.1 200/);

    upload.socket.write(rest);
    const answer = await upload.received;
    expect(answer).toMatch(/^HTTP\/1\.1 202/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    const jobId = /"job_id":"([0-9a-f-]{36})"/.exec(answer)?.[1];
    expect(jobId).toBeDefined();
    expect(await server.exited).toBe('SIGTERM');

    // The job and its file are there after a restart.
    server = start();
    await server.waitForLine(/Doc Inbox listening/);
    const job = (await (await fetch(`http://127.0.0.1:${port}/job/${jobId}`)).json()) as {
      files: Array<{ filename: string; size: number }>;
    };
    expect(job.files).toEqual([expect.objectContaining({ filename: 'late.txt', size: fileSize })]);
  });

  it('cuts off a request still running after HTTP_SHUTDOWN_GRACE_SECONDS, and exits', async () => {
    const server = start({ HTTP_SHUTDOWN_GRACE_SECONDS: '1', UPLOAD_IDLE_TIMEOUT_SECONDS: '60' });
    await server.waitForLine(/Doc Inbox listening/);
    const stalled = await open(port);
    stalled.socket.write(uploadInTwo().head);
    await idleConnection(port);
    await sleep(200);
    server.proc.kill('SIGTERM');
    await server.waitForLine(/still running after 1000 ms: cutting them off/);
    expect(await stalled.received).toBe('');
    expect(await server.exited).toBe('SIGTERM');
  });
});
