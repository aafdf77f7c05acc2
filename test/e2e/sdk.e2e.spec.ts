// The generated client is written for fetch environments (browsers, Node 18+): it names DOM types.
/// <reference lib="dom" />
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyDocumentsAsync,
  getJob,
  labelDocument,
  streamJobEvents,
  type JobStreamEventDto,
} from '../../clients/typescript/src/index.js';
import { createClient, type Client } from '../../clients/typescript/src/client/index.js';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { assertBuilt, freePort, spawnEntrypoint, type EntrypointProcess } from '../support/entrypoint-process';
import { makeTextPdf } from '../support/fixtures';

jest.setTimeout(120_000);

const INVOICE = [
  'INVOICE',
  'Invoice number: INV-2026-0042',
  'Bill to: Contoso Ltd',
  'Subtotal 1200.00   VAT 21% 252.00   Total due EUR 1452.00',
  'Payment terms: 30 days. Please pay by bank transfer.',
].join('\n');

interface Deployment {
  name: string;
  /** Starts the processes; answers the API's base URL. */
  start(processes: EntrypointProcess[], cleanups: Array<() => Promise<void>>): Promise<string>;
}

const deployments: Deployment[] = [
  {
    name: 'the all-in-one server on the embedded database',
    async start(processes, cleanups) {
      const dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-sdk-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      const port = await freePort();
      const server = spawnEntrypoint('server', { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' });
      processes.push(server);
      await server.waitForLine(/^Doc Inbox listening/, 90_000);
      return `http://127.0.0.1:${port}`;
    },
  },
];
if (TEST_DATABASE_URL) {
  deployments.push({
    name: 'a server and a worker process on PostgreSQL',
    async start(processes, cleanups) {
      const db = await createPostgresDatabase();
      cleanups.push(() => db.drop());
      const dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-sdk-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      const port = await freePort();
      const env = { DATABASE_URL: db.url, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
      const server = spawnEntrypoint('server', { ...env, PORT: String(port) });
      processes.push(server);
      await server.waitForLine(/^Doc Inbox listening/, 90_000);
      const worker = spawnEntrypoint('worker', env);
      processes.push(worker);
      return `http://127.0.0.1:${port}`;
    },
  });
} else {
  console.warn('[postgres] TEST_DATABASE_URL is not set: the SDK runs against the embedded server only');
}

describe.each(deployments)('the TypeScript client against $name', (deployment) => {
  const processes: EntrypointProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  let client: Client;

  beforeAll(async () => {
    assertBuilt();
    client = createClient({ baseUrl: await deployment.start(processes, cleanups) });
  });
  afterAll(async () => {
    for (const p of processes) p.proc.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('uploads, follows the job live, reads the results and records a correction', async () => {
    const pdf = await makeTextPdf([INVOICE]);
    const accepted = await classifyDocumentsAsync({
      client,
      body: { files: [new File([new Uint8Array(pdf)], 'invoice.pdf', { type: 'application/pdf' })] },
      throwOnError: true,
    });
    expect(accepted.response.status).toBe(202);
    const jobId = accepted.data.job_id;

    // Follow the events until the server ends the stream after the job's last one.
    const { stream } = await streamJobEvents({ client, path: { job_id: jobId }, sseMaxRetryAttempts: 3 });
    const events: JobStreamEventDto[] = [];
    for await (const event of stream) if (event) events.push(event);
    expect(events.map((e) => e.type)).toEqual(['job.created', 'job.started', 'document.completed', 'job.completed']);
    expect(events.every((e) => e.job_id === jobId)).toBe(true);

    // A long poll on a finished job answers at once, with the same timeline.
    const job = await getJob({ client, path: { job_id: jobId }, query: { wait: 30 }, throwOnError: true });
    expect(job.data).toMatchObject({ status: 'completed', processed_files: 1, failed_files: 0 });
    expect(job.data.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    const [document] = job.data.result.documents;
    expect(document).toMatchObject({ position: 0, filename: 'invoice.pdf', status: 'completed' });
    expect(document.document_type).toBe('invoice');

    const correction = await labelDocument({
      client,
      path: { job_id: jobId, position: 0 },
      body: { label: 'receipt' },
      throwOnError: true,
    });
    expect(correction.data).toMatchObject({
      job_id: jobId,
      position: 0,
      label: 'receipt',
      predicted_label: 'invoice',
    });

    // Errors come back typed, not thrown, unless asked to throw.
    const missing = await getJob({ client, path: { job_id: '00000000-0000-4000-8000-000000000000' } });
    expect(missing.response?.status).toBe(404);
    expect(missing.error).toMatchObject({ statusCode: 404, message: expect.stringContaining('not found') });
  });

  it('waits for a change with ?wait and since_event instead of polling', async () => {
    const accepted = await classifyDocumentsAsync({
      client,
      body: { files: [new File(['Dear Ms Jansen, thank you for your letter.'], 'letter.txt')] },
      throwOnError: true,
    });
    let job = (await getJob({ client, path: { job_id: accepted.data.job_id }, throwOnError: true })).data;
    // Each answer comes when the job has an event after the last one seen (or at once when it is
    // finished), so this loop makes one request per change rather than one per tick.
    for (let reads = 0; !['completed', 'failed', 'cancelled'].includes(job.status); reads++) {
      if (reads > 20) throw new Error(`job still ${job.status} after ${reads} long polls`);
      const since = Number(job.events.at(-1)!.id);
      job = (
        await getJob({
          client,
          path: { job_id: accepted.data.job_id },
          query: { wait: 30, since_event: since },
          throwOnError: true,
        })
      ).data;
      if (job.status !== 'completed') expect(Number(job.events.at(-1)!.id)).toBeGreaterThan(since);
    }
    expect(job.status).toBe('completed');
    expect(job.result.documents[0]).toMatchObject({ filename: 'letter.txt', status: 'completed' });
  });
});
