import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertBuilt,
  freePort,
  spawnEntrypoint,
  type EntrypointProcess,
  type LogLine,
} from '../support/entrypoint-process';

jest.setTimeout(120_000);

/** A request's completed line as pino-http writes it, through our serializers. */
type RequestLine = LogLine & {
  req?: { id: string; method: string; url: string; headers: Record<string, string> };
  res?: { statusCode: number };
  tenantId?: string;
  jobId?: string;
  workerId?: string;
};

describe('log lines of the real server process (all-in-one, embedded database)', () => {
  let server: EntrypointProcess;
  let base: string;
  let dataDir: string;

  beforeAll(async () => {
    assertBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-logs-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawnEntrypoint('server', {
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      OCR_PROVIDER: 'none',
      CLASSIFIER_PROVIDER: 'local',
      LOG_REDACT: 'req.headers["x-customer-secret"]',
      // The credentials below are made up: with keys checked they would be a 401 before the route.
      AUTH_DISABLED: 'true',
    });
    await server.waitForLine(/Doc Inbox listening/);
  });
  afterAll(async () => {
    server.proc.kill('SIGTERM');
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function lineFor(requestId: string): Promise<RequestLine> {
    const end = Date.now() + 10_000;
    for (;;) {
      const hit = (server.lines as RequestLine[]).find((l) => l.req?.id === requestId && l.res);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no request line for ${requestId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('carries the X-Request-Id it echoes, with credentials and LOG_REDACT paths censored', async () => {
    const res = await fetch(`${base}/jobs?limit=1`, {
      headers: {
        'X-Request-Id': 'trace-4711',
        Authorization: 'Bearer sk-live-should-never-be-logged',
        'X-Api-Key': 'key-should-never-be-logged',
        Cookie: 'session=should-never-be-logged',
        'X-Customer-Secret': 'hush',
        'User-Agent': 'log-test',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-4711');

    const line = await lineFor('trace-4711');
    expect(line.msg).toBe('request completed');
    expect(line.req).toMatchObject({ method: 'GET', url: '/jobs?limit=1' });
    expect(line.req!.headers).toMatchObject({
      authorization: '[redacted]',
      'x-api-key': '[redacted]',
      cookie: '[redacted]',
      'x-customer-secret': '[redacted]',
      // What is no secret stays readable.
      'user-agent': 'log-test',
    });
    const everything = server.lines.map((l) => JSON.stringify(l)).join('\n') + server.otherStdout.join('\n');
    expect(everything).not.toMatch(/should-never-be-logged|hush/);
  });

  it("a worker's lines for a job carry the job id, the tenant and the worker", async () => {
    const form = new FormData();
    form.append('files', new Blob(['INVOICE 9\nTotal due EUR 10.00']), 'invoice.txt');
    const res = await fetch(`${base}/classify-documents-async`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const { job_id: jobId } = (await res.json()) as { job_id: string };

    const completed = (await server.waitForLine(/^Job completed$/)) as RequestLine;
    expect(completed).toMatchObject({ jobId, tenantId: 'default', workerId: expect.any(String) });
    const processing = server.lines.find((l) => l.msg === `Processing job ${jobId}`) as RequestLine;
    expect(processing).toMatchObject({ jobId, tenantId: 'default' });
    // The upload's request context does not leak into the job's lines.
    expect(processing.req).toBeUndefined();
  });
});
