import { SchedulerRegistry } from '@nestjs/schedule';
import { Taxonomy } from '../../src/classifier/taxonomy';
import { DocumentError } from '../../src/common/document-error';
import { AppConfig } from '../../src/config/app-config';
import { toJobDto } from '../../src/jobs/dto/job.response';
import { DocumentPipeline } from '../../src/worker/document-pipeline';
import { JobRunner } from '../../src/worker/job-runner';
import { OutcomeWriter } from '../../src/worker/outcome-writer';
import { WorkerService } from '../../src/worker/worker.service';
import { FakeClassifier, FakeExtractor, InMemoryJobStore } from '../support/fakes';
import { newJob, textFile } from '../support/fixtures';

const taxonomy = new Taxonomy([
  { id: 'invoice', label: 'Invoice', description: 'asks for payment', keywords: ['invoice'] },
  { id: 'letter', label: 'Letter', description: 'a letter', keywords: ['dear'] },
]);
const config = (env: Record<string, string> = {}) =>
  AppConfig.fromEnvironment({ WORKER_POLL_INTERVAL_SECONDS: '0.05', JOB_LEASE_SECONDS: '30', ...env });
const never = () => new Promise<never>(() => undefined);
const until = async (check: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setup(extractor = new FakeExtractor(), cfg = config()) {
  const store = new InMemoryJobStore();
  const classifier = new FakeClassifier();
  const pipeline = new DocumentPipeline(store, extractor, classifier, taxonomy, cfg);
  const runner = new JobRunner(store, pipeline);
  return { store, classifier, pipeline, runner, extractor, cfg };
}

async function runOnce(s: ReturnType<typeof setup>, jobId: string) {
  const [claimed] = await s.store.claimJobs('w1', 1, 30);
  expect(claimed.id).toBe(jobId);
  await s.runner.run(claimed, 'w1', new OutcomeWriter(s.store, 'w1'), new AbortController().signal);
  return (await s.store.getJob(jobId))!;
}

describe('JobRunner and DocumentPipeline', () => {
  it('classifies every file, writes results file by file and completes the job', async () => {
    const s = setup();
    const job = await s.store.createJob(
      newJob(2, { files: [textFile('a.txt', 'INVOICE 42'), textFile('b.txt', 'Dear Sir')], categories: ['invoice'] }),
    );
    const done = await runOnce(s, job.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100, processedFiles: 2, failedFiles: 0 });
    expect(done.files.map((f) => f.result?.document_type)).toEqual(['invoice', 'other']);
    expect(done.files[0].result).toMatchObject({
      confidence: 0.9,
      reasons: ['says invoice'],
      pages: 1,
      page_count: 1,
      text_sources: ['plain-text'],
      classifier: 'fake',
      usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
    });
    // The job narrowed the taxonomy: the classifier saw only that category.
    expect(s.classifier.inputs[0].categories.map((c) => c.id)).toEqual(['invoice']);
    // The classifier gets the extractor's pages, numbered, with their source.
    expect(s.classifier.inputs[0].pages).toEqual([
      { number: 1, text: 'INVOICE 42', source: 'plain-text', confidence: null },
    ]);
    expect(s.store.calls.filter((c) => c.startsWith('record'))).toEqual(['record:1', 'record:1']);
    expect((await s.store.getDocument(job.id, 0))?.text).toBe('INVOICE 42');
  });

  it('records a bad document as that file failing and goes on with the next', async () => {
    const s = setup(
      new FakeExtractor({
        'locked.pdf': async () => {
          throw new DocumentError('encrypted_pdf', 'the PDF is password-protected');
        },
        'bug.pdf': async () => {
          throw new TypeError('cannot read properties of undefined');
        },
      }),
    );
    const job = await s.store.createJob(
      newJob(3, { files: [textFile('locked.pdf', ''), textFile('bug.pdf', ''), textFile('ok.txt', 'invoice')] }),
    );
    const done = await runOnce(s, job.id);
    expect(done).toMatchObject({ status: 'completed', processedFiles: 3, failedFiles: 2 });
    expect(done.files[0].error).toEqual({ code: 'encrypted_pdf', message: 'the PDF is password-protected' });
    expect(done.files[1].error).toEqual({
      code: 'processing_error',
      message: 'could not process the document: cannot read properties of undefined',
    });
    expect(done.files[2].result?.document_type).toBe('invoice');
  });

  it('keeps the tokens a failed classification spent, and sums them into the job', async () => {
    const s = setup();
    jest.spyOn(s.classifier, 'classify').mockImplementationOnce(() => {
      const refused = new DocumentError('classifier_refused', 'the model refused');
      refused.usage = { promptTokens: 30, completionTokens: 5, totalTokens: 35 };
      return Promise.reject(refused);
    });
    const job = await s.store.createJob(newJob(2, { files: [textFile('a.txt', 'x'), textFile('b.txt', 'INVOICE')] }));
    const done = await runOnce(s, job.id);
    expect(done.files[0].error).toEqual({
      code: 'classifier_refused',
      message: 'the model refused',
      usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 },
    });
    const dto = toJobDto(done);
    expect(dto.result.documents[0]).toMatchObject({
      error: { code: 'classifier_refused', message: 'the model refused' },
      usage: { total_tokens: 35 },
    });
    expect(dto.result.usage).toEqual({ prompt_tokens: 40, completion_tokens: 7, total_tokens: 47 });
  });

  it('gives up on a document that runs past the time limit, even if the provider ignores the signal', async () => {
    const s = setup(new FakeExtractor({ 'slow.pdf': never }), config({ FILE_TIMEOUT_SECONDS: '1' }));
    const job = await s.store.createJob(newJob(1, { files: [textFile('slow.pdf', 'x')] }));
    const done = await runOnce(s, job.id);
    expect(done.files[0].error).toEqual({ code: 'timeout', message: 'gave up after 1 s' });
    expect(done.status).toBe('completed');
  });

  it('retries the job later when the classifier does not answer within the time limit', async () => {
    const s = setup(new FakeExtractor(), config({ FILE_TIMEOUT_SECONDS: '1' }));
    jest.spyOn(s.classifier, 'classify').mockImplementation(() => new Promise(() => undefined));
    const job = await s.store.createJob(newJob(1, { files: [textFile('a.txt', 'invoice')] }));
    const after = await runOnce(s, job.id);
    expect(after).toMatchObject({ status: 'pending', attempts: 1, processedFiles: 0 });
    expect(after.error).toBe('the classifier did not answer within the per-file time limit');
  });

  it('retries the job later when a provider is down, keeping the files already done', async () => {
    const s = setup(
      new FakeExtractor({
        'b.txt': async () => {
          throw new DocumentError('provider_unavailable', 'Textract is throttling', true);
        },
      }),
    );
    const job = await s.store.createJob(newJob(2, { files: [textFile('a.txt', 'invoice'), textFile('b.txt', 'x')] }));
    const after = await runOnce(s, job.id);
    expect(after).toMatchObject({ status: 'pending', attempts: 1, processedFiles: 1, error: 'Textract is throttling' });
    expect(after.files.map((f) => f.status)).toEqual(['completed', 'pending']);
  });

  it('on the last attempt records the provider outage as the file error instead', async () => {
    const s = setup(
      new FakeExtractor({
        'b.txt': async () => {
          throw new DocumentError('provider_unavailable', 'Textract is throttling', true);
        },
      }),
    );
    const job = await s.store.createJob(newJob(1, { files: [textFile('b.txt', 'x')], maxAttempts: 1 }));
    const after = await runOnce(s, job.id);
    expect(after.status).toBe('completed');
    expect(after.files[0].error).toEqual({ code: 'provider_unavailable', message: 'Textract is throttling' });
  });
});

describe('WorkerService', () => {
  function worker(s: ReturnType<typeof setup>) {
    return new WorkerService(s.store, s.runner, new SchedulerRegistry(), s.cfg);
  }

  it('wakes when a job is created and processes all jobs, at most WORKER_CONCURRENCY at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return {
        pages: [{ number: 1, text: 'invoice', source: 'plain-text' as const, confidence: null }],
        pageCount: 1,
        warnings: [],
      };
    };
    const s = setup(
      new FakeExtractor({ 'a.txt': slow }),
      config({ WORKER_CONCURRENCY: '3', WORKER_POLL_INTERVAL_SECONDS: '3600' }),
    );
    const w = worker(s);
    await w.onApplicationBootstrap();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await s.store.createJob(newJob(1, { files: [textFile('a.txt', 'x')] }))).id);
    await until(async () =>
      (await Promise.all(ids.map((id) => s.store.getJob(id)))).every((j) => j?.status === 'completed'),
    );
    await w.beforeApplicationShutdown();
    expect(peak).toBe(3);
  });

  it('on shutdown stops claiming and hands unfinished jobs back without spending an attempt', async () => {
    const s = setup(new FakeExtractor({ 'stuck.pdf': never }), config({ WORKER_SHUTDOWN_GRACE_SECONDS: '1' }));
    const w = worker(s);
    await w.onApplicationBootstrap();
    const job = await s.store.createJob(newJob(1, { files: [textFile('stuck.pdf', 'x')] }));
    await until(async () => (await s.store.getJob(job.id))?.status === 'processing');
    await w.beforeApplicationShutdown();
    expect(await s.store.getJob(job.id)).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
    await s.store.createJob(newJob(1));
    await new Promise((r) => setTimeout(r, 100));
    expect([...s.store.jobs.values()].filter((j) => j.job.status === 'processing')).toHaveLength(0);
  });

  it('on shutdown waits for a claim in flight and hands back the jobs it claimed', async () => {
    const s = setup(new FakeExtractor({ 'stuck.pdf': never }), config({ WORKER_SHUTDOWN_GRACE_SECONDS: '1' }));
    const job = await s.store.createJob(newJob(1, { files: [textFile('stuck.pdf', 'x')] }));
    const claim = s.store.claimJobs.bind(s.store);
    let claimStarted!: () => void;
    const started = new Promise<void>((r) => (claimStarted = r));
    jest.spyOn(s.store, 'claimJobs').mockImplementation(async (...args) => {
      claimStarted();
      await new Promise((r) => setTimeout(r, 200));
      return claim(...args);
    });
    const w = worker(s);
    await w.onApplicationBootstrap();
    await started;
    await w.beforeApplicationShutdown();
    // Past the moment the claim lands: the job must not be left held by a stopped worker.
    await new Promise((r) => setTimeout(r, 300));
    expect(await s.store.getJob(job.id)).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
  });

  it('stops working on a job that was cancelled, and writes nothing for it', async () => {
    let aborted = false;
    const s = setup(
      new FakeExtractor({
        'long.pdf': (input) =>
          new Promise((_, reject) =>
            input.signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            }),
          ),
      }),
      config({ JOB_LEASE_SECONDS: '5' }),
    );
    const w = worker(s);
    await w.onApplicationBootstrap();
    const job = await s.store.createJob(newJob(1, { files: [textFile('long.pdf', 'x')] }));
    await until(async () => (await s.store.getJob(job.id))?.status === 'processing');
    await s.store.cancelJob(job.id);
    await until(() => aborted, 4000); // the heartbeat (every lease/3) notices
    await w.beforeApplicationShutdown();
    expect(await s.store.getJob(job.id)).toMatchObject({ status: 'cancelled', processedFiles: 0 });
  });
});
