import { DocumentError } from '../../src/common/document-error';
import { AppConfig } from '../../src/config/app-config';
import { OutcomeWriter } from '../../src/worker/outcome-writer';
import { FakeExtractor } from '../support/fakes';
import { count } from '../support/metrics-text';
import { WorkerHarness } from '../support/worker-harness';

jest.setTimeout(30_000);

const config = AppConfig.fromEnvironment({ JOB_LEASE_SECONDS: '30' });
const extractor = new FakeExtractor({
  'locked.pdf': async () => {
    throw new DocumentError('encrypted_pdf', 'the PDF is password-protected');
  },
  'outage.pdf': async () => {
    throw new DocumentError('provider_unavailable', 'Textract answered 503', true);
  },
  'scan.png': async () => ({
    pages: [
      { number: 1, text: 'INVOICE 7', source: 'tesseract', confidence: 0.8 },
      { number: 2, text: 'page two', source: 'text-layer', confidence: null },
    ],
    pageCount: 2,
    warnings: [],
  }),
});

let s: WorkerHarness;
beforeAll(async () => {
  s = await WorkerHarness.start(extractor, config);
});
afterAll(() => s.close());

/** Claims the job and runs it once, through `writer` (the harness's queue by default). */
async function runOnce(jobId: string, writer = new OutcomeWriter(s.queue, 'w1')): Promise<void> {
  const [claimed] = await s.queue.claim('w1', 1);
  expect(claimed.id).toBe(jobId);
  await s.runner.run(claimed, 'w1', writer, new AbortController().signal);
}

/** What a scrape moved while `act` ran. */
async function movedBy(act: () => Promise<void>) {
  const before = await s.registry.metrics();
  await act();
  const after = await s.registry.metrics();
  return (name: string, labels: Record<string, string> = {}) =>
    count(after, name, labels) - count(before, name, labels);
}

describe('WorkerMetrics as the runner and the pipeline report', () => {
  it('a job of good and bad documents: documents by label and by error code, pages by engine, tokens', async () => {
    const job = await s.submit([
      ['a.txt', 'INVOICE 42'],
      ['locked.pdf', 'x'],
      ['scan.png', 'x'],
    ]);
    const moved = await movedBy(() => runOnce(job.id));

    expect(moved('docinbox_jobs_completed_total')).toBe(1);
    expect(moved('docinbox_job_pickup_latency_seconds_count')).toBe(1);
    expect(moved('docinbox_documents_classified_total', { label: 'invoice' })).toBe(2);
    expect(moved('docinbox_documents_failed_total', { error_code: 'encrypted_pdf' })).toBe(1);
    expect(moved('docinbox_ocr_pages_total', { engine: 'plain-text' })).toBe(1);
    expect(moved('docinbox_ocr_pages_total', { engine: 'tesseract' })).toBe(1);
    expect(moved('docinbox_ocr_pages_total', { engine: 'text-layer' })).toBe(1);
    // A document with any OCR'd page is timed under its OCR engine.
    expect(moved('docinbox_ocr_duration_seconds_count', { engine: 'tesseract' })).toBe(1);
    expect(moved('docinbox_ocr_duration_seconds_count', { engine: 'plain-text' })).toBe(1);
    expect(moved('docinbox_classification_duration_seconds_count', { classifier: 'fake' })).toBe(2);
    // The fake classifier spends 10 + 2 tokens a document and names no model: the configured one.
    expect(moved('docinbox_llm_tokens_total', { kind: 'prompt', model: 'gpt-4o' })).toBe(20);
    expect(moved('docinbox_llm_tokens_total', { kind: 'completion', model: 'gpt-4o' })).toBe(4);
  });

  it('a provider outage with attempts left is a retry by error code, not a failure', async () => {
    const job = await s.submit([['outage.pdf', 'x']], { maxAttempts: 2 });
    const moved = await movedBy(() => runOnce(job.id));
    expect(moved('docinbox_jobs_retried_total', { error_code: 'provider_unavailable' })).toBe(1);
    expect(moved('docinbox_jobs_failed_total', { error_code: 'provider_unavailable' })).toBe(0);
    expect(moved('docinbox_jobs_completed_total')).toBe(0);
    expect((await s.job(job.id)).status).toBe('pending');
    await s.db.sql.exec('delete from inbox_jobs');
  });

  it('a job failed by an unexpected error counts as worker_error', async () => {
    const job = await s.submit([['a.txt', 'INVOICE 1']], { maxAttempts: 1 });
    // Outcomes that cannot be written (and not because the database is away) fail the job.
    const broken = Object.assign(Object.create(s.queue) as typeof s.queue, {
      record: () => Promise.reject(new Error('the outcome is not storable')),
    });
    const moved = await movedBy(() => runOnce(job.id, new OutcomeWriter(broken, 'w1')));
    expect(moved('docinbox_jobs_failed_total', { error_code: 'worker_error' })).toBe(1);
    expect((await s.job(job.id)).status).toBe('failed');
  });

  it('a takeover after a lease ran out is no pickup: it did not wait in the queue', async () => {
    const job = await s.submit([['a.txt', 'INVOICE 1']]);
    const moved = await movedBy(async () => {
      await s.queue.claim('dead-worker', 1);
      await s.db.sql.exec("update inbox_jobs set locked_until = now() - interval '1 second'");
      await runOnce(job.id);
    });
    expect(moved('docinbox_jobs_completed_total')).toBe(1);
    expect(moved('docinbox_job_pickup_latency_seconds_count')).toBe(0);
  });
});
