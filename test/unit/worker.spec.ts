import { SchedulerRegistry } from '@nestjs/schedule';
import { DocumentError } from '../../src/common/document-error';
import { AppConfig } from '../../src/config/app-config';
import { toJobDto } from '../../src/http/dto/job.response';
import { OutcomeWriter } from '../../src/worker/outcome-writer';
import { WorkerService } from '../../src/worker/worker.service';
import { FakeExtractor } from '../support/fakes';
import { WorkerHarness } from '../support/worker-harness';

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

jest.setTimeout(30_000);

// One embedded database for the file (starting PGlite takes seconds); each test empties it and
// gets a harness with its own providers and settings.
let shared: WorkerHarness | undefined;
const started: WorkerService[] = [];
afterEach(async () => {
  // A test that failed half-way must not leave its claim loop running into the next test.
  await Promise.all(started.splice(0).map((w) => w.beforeApplicationShutdown()));
});
afterAll(() => shared?.close());

async function setup(extractor = new FakeExtractor(), cfg = config()): Promise<WorkerHarness> {
  shared = shared ? shared.with(extractor, cfg) : await WorkerHarness.start(extractor, cfg);
  await shared.db.sql.exec('delete from inbox_jobs; delete from inbox_job_events');
  return shared;
}

/** An extractor whose 'long.pdf' runs until its signal fires, and says whether it did. */
function untilAborted() {
  const state = { aborted: false };
  const extractor = new FakeExtractor({
    'long.pdf': (input) =>
      new Promise((_, reject) =>
        input.signal.addEventListener('abort', () => {
          state.aborted = true;
          reject(new Error('aborted'));
        }),
      ),
  });
  return Object.assign(state, { extractor });
}

async function runOnce(s: WorkerHarness, jobId: string) {
  const [claimed] = await s.queue.claim('w1', 1);
  expect(claimed.id).toBe(jobId);
  await s.runner.run(claimed, 'w1', new OutcomeWriter(s.queue, 'w1'), new AbortController().signal);
  return s.job(jobId);
}

describe('JobRunner and DocumentPipeline', () => {
  it('classifies every file, writes results file by file and completes the job', async () => {
    const s = await setup();
    const recorded = jest.spyOn(s.queue, 'record');
    const job = await s.submit(
      [
        ['a.txt', 'INVOICE 42'],
        ['b.txt', 'Dear Sir'],
      ],
      { categories: ['invoice'] },
    );
    const done = await runOnce(s, job.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100, processedDocuments: 2, failedDocuments: 0 });
    expect(done.documents.map((d) => d.result?.document_type)).toEqual(['invoice', 'other']);
    expect(done.documents[0].result).toMatchObject({
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
    // Each outcome is written as soon as it is known, with the page text kept.
    expect(recorded.mock.calls.map(([, outcomes]) => outcomes.length)).toEqual([1, 1]);
    expect((await s.store.getDocument('default', job.id, 0))?.text).toBe('INVOICE 42');
    expect(done.events.map((e) => e.type)).toEqual([
      'job.created',
      'job.started',
      'document.completed',
      'document.completed',
      'job.completed',
    ]);
  });

  it('records a bad document as that file failing and goes on with the next', async () => {
    const s = await setup(
      new FakeExtractor({
        'locked.pdf': async () => {
          throw new DocumentError('encrypted_pdf', 'the PDF is password-protected');
        },
        'bug.pdf': async () => {
          throw new TypeError('cannot read properties of undefined');
        },
      }),
    );
    const job = await s.submit([
      ['locked.pdf', 'x'],
      ['bug.pdf', 'x'],
      ['ok.txt', 'invoice'],
    ]);
    const done = await runOnce(s, job.id);
    expect(done).toMatchObject({ status: 'completed', processedDocuments: 3, failedDocuments: 2 });
    expect(done.documents[0].error).toEqual({ code: 'encrypted_pdf', message: 'the PDF is password-protected' });
    expect(done.documents[1].error).toEqual({
      code: 'processing_error',
      message: 'could not process the document: cannot read properties of undefined',
    });
    expect(done.documents[2].result?.document_type).toBe('invoice');
  });

  it('keeps the tokens a failed classification spent, and sums them into the job', async () => {
    const s = await setup();
    jest.spyOn(s.classifier, 'classify').mockImplementationOnce(() => {
      const refused = new DocumentError('classifier_refused', 'the model refused');
      refused.usage = { promptTokens: 30, completionTokens: 5, totalTokens: 35 };
      return Promise.reject(refused);
    });
    const job = await s.submit([
      ['a.txt', 'x'],
      ['b.txt', 'INVOICE'],
    ]);
    const done = await runOnce(s, job.id);
    expect(done.documents[0].error).toEqual({
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
    const s = await setup(new FakeExtractor({ 'slow.pdf': never }), config({ FILE_TIMEOUT_SECONDS: '1' }));
    const job = await s.submit([['slow.pdf', 'x']]);
    const done = await runOnce(s, job.id);
    expect(done.documents[0].error).toEqual({ code: 'timeout', message: 'gave up after 1 s' });
    expect(done.status).toBe('completed');
  });

  it('retries the job later when the classifier does not answer within the time limit', async () => {
    const s = await setup(new FakeExtractor(), config({ FILE_TIMEOUT_SECONDS: '1' }));
    jest.spyOn(s.classifier, 'classify').mockImplementation(() => new Promise(() => undefined));
    const job = await s.submit([['a.txt', 'invoice']]);
    const after = await runOnce(s, job.id);
    expect(after).toMatchObject({ status: 'pending', attempts: 1, processedDocuments: 0 });
    expect(after.error).toBe('the classifier did not answer within the per-file time limit');
  });

  it('retries the job later when a provider is down, keeping the files already done', async () => {
    const s = await setup(
      new FakeExtractor({
        'b.txt': async () => {
          throw new DocumentError('provider_unavailable', 'Textract is throttling', true);
        },
      }),
    );
    const job = await s.submit([
      ['a.txt', 'invoice'],
      ['b.txt', 'x'],
    ]);
    const after = await runOnce(s, job.id);
    expect(after).toMatchObject({
      status: 'pending',
      attempts: 1,
      processedDocuments: 1,
      error: 'Textract is throttling',
    });
    expect(after.documents.map((d) => d.status)).toEqual(['completed', 'pending']);
  });

  it('on the last attempt records the provider outage as the file error instead', async () => {
    const s = await setup(
      new FakeExtractor({
        'b.txt': async () => {
          throw new DocumentError('provider_unavailable', 'Textract is throttling', true);
        },
      }),
    );
    const job = await s.submit([['b.txt', 'x']], { maxAttempts: 1 });
    const after = await runOnce(s, job.id);
    expect(after.status).toBe('completed');
    expect(after.documents[0].error).toEqual({ code: 'provider_unavailable', message: 'Textract is throttling' });
  });
});

describe('WorkerService', () => {
  function worker(s: WorkerHarness) {
    const w = new WorkerService(s.queue, s.runner, new SchedulerRegistry(), s.config);
    started.push(w);
    return w;
  }

  it('wakes when a job is created and processes all jobs, at most WORKER_CONCURRENCY at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 100));
      inFlight--;
      return {
        pages: [{ number: 1, text: 'invoice', source: 'plain-text' as const, confidence: null }],
        pageCount: 1,
        warnings: [],
      };
    };
    const s = await setup(
      new FakeExtractor({ 'a.txt': slow }),
      config({ WORKER_CONCURRENCY: '3', WORKER_POLL_INTERVAL_SECONDS: '3600' }),
    );
    // A backlog, so the limit is what caps the work (not how fast jobs arrive)...
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push((await s.submit([['a.txt', 'x']])).id);
    const w = worker(s);
    await w.onApplicationBootstrap();
    const allDone = async () => (await Promise.all(ids.map((id) => s.job(id)))).every((j) => j.status === 'completed');
    await until(allDone);
    expect(peak).toBe(3);
    // ...then, with the worker idle and polling hourly, only the NOTIFY of a new job can wake it.
    ids.push((await s.submit([['a.txt', 'x']])).id);
    await until(allDone);
    await w.beforeApplicationShutdown();
  });

  it('on shutdown stops claiming and hands unfinished jobs back without spending an attempt', async () => {
    const s = await setup(new FakeExtractor({ 'stuck.pdf': never }), config({ WORKER_SHUTDOWN_GRACE_SECONDS: '1' }));
    const w = worker(s);
    await w.onApplicationBootstrap();
    const job = await s.submit([['stuck.pdf', 'x']]);
    await until(async () => (await s.job(job.id)).status === 'processing');
    await w.beforeApplicationShutdown();
    expect(await s.job(job.id)).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
    const later = await s.submit([['a.txt', 'x']]);
    await new Promise((r) => setTimeout(r, 100));
    expect((await s.job(later.id)).status).toBe('pending');
  });

  it('on shutdown waits for a claim in flight and hands back the jobs it claimed', async () => {
    const s = await setup(new FakeExtractor({ 'stuck.pdf': never }), config({ WORKER_SHUTDOWN_GRACE_SECONDS: '1' }));
    const job = await s.submit([['stuck.pdf', 'x']]);
    const claim = s.queue.claim.bind(s.queue);
    let claimStarted!: () => void;
    const started = new Promise<void>((r) => (claimStarted = r));
    jest.spyOn(s.queue, 'claim').mockImplementation(async (...args) => {
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
    expect(await s.job(job.id)).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
  });

  /**
   * One slot, jobs known to be short (one has run), one job running until `release` is called
   * and one more claimed ahead, waiting locally for the slot.
   */
  async function holdingOneAhead(env: Record<string, string> = {}) {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = await setup(
      new FakeExtractor({
        'block.pdf': async () => {
          await gate;
          return {
            pages: [{ number: 1, text: 'x', source: 'plain-text', confidence: null }],
            pageCount: 1,
            warnings: [],
          };
        },
      }),
      config({ WORKER_CONCURRENCY: '1', WORKER_POLL_INTERVAL_SECONDS: '3600', JOB_LEASE_SECONDS: '5', ...env }),
    );
    const w = worker(s);
    await w.onApplicationBootstrap();
    const first = await s.submit([['first.txt', 'x']]);
    await until(async () => (await s.job(first.id)).status === 'completed');
    const blocked = await s.submit([['block.pdf', 'x']]);
    await until(() => s.extractor.seen.includes('block.pdf'));
    const ahead = await s.submit([['ahead.txt', 'x']]);
    await until(async () => (await s.job(ahead.id)).status === 'processing');
    expect(s.extractor.seen).not.toContain('ahead.txt');
    return { s, w, blocked, ahead, release };
  }

  it('claims ahead while jobs are short, renewing the lease of a job waiting locally until a slot frees', async () => {
    const { s, w, ahead, release } = await holdingOneAhead();
    const lease = (await s.job(ahead.id)).lockedUntil!.getTime();
    // The heartbeat (every lease/3) renews it while it waits: it does not expire behind the running job.
    await until(async () => (await s.job(ahead.id)).lockedUntil!.getTime() > lease);
    expect(s.extractor.seen).not.toContain('ahead.txt');
    release();
    await until(async () => (await s.job(ahead.id)).status === 'completed');
    expect((await s.job(ahead.id)).attempts).toBe(1);
    await w.beforeApplicationShutdown();
  });

  it('gives the slot to the next job while the last outcome is still being written', async () => {
    const s = await setup(
      new FakeExtractor(),
      config({ WORKER_CONCURRENCY: '1', WORKER_POLL_INTERVAL_SECONDS: '3600' }),
    );
    const first = await s.submit([['first.txt', 'x']]);
    const second = await s.submit([['second.txt', 'x']]);
    let openWrites!: () => void;
    const writesOpen = new Promise<void>((r) => (openWrites = r));
    const record = s.queue.record.bind(s.queue);
    jest.spyOn(s.queue, 'record').mockImplementation(async (...args) => {
      await writesOpen;
      return record(...args);
    });
    const w = worker(s);
    await w.onApplicationBootstrap();
    // One slot, and the first job's outcome not written yet: the second job already runs.
    await until(() => s.extractor.seen.includes('second.txt'));
    expect((await s.job(first.id)).status).toBe('processing');
    openWrites();
    await until(async () => (await s.job(second.id)).status === 'completed');
    expect((await s.job(first.id)).status).toBe('completed');
    await w.beforeApplicationShutdown();
  });

  it('claims short jobs by the batch: about 100 ms of work ahead, not one more per slot', async () => {
    const s = await setup(
      new FakeExtractor(),
      config({ WORKER_CONCURRENCY: '2', WORKER_POLL_INTERVAL_SECONDS: '3600' }),
    );
    const claim = jest.spyOn(s.queue, 'claim');
    const w = worker(s);
    await w.onApplicationBootstrap();
    const first = await s.submit([['first.txt', 'x']]);
    await until(async () => (await s.job(first.id)).status === 'completed');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await s.submit([['a.txt', 'x']])).id);
    await until(async () => (await Promise.all(ids.map((id) => s.job(id)))).every((j) => j.status === 'completed'));
    // Jobs of a few ms: the room is far past twice the concurrency (the old rule), capped at 500 ahead.
    const limits = claim.mock.calls.map(([, limit]) => limit);
    expect(Math.max(...limits)).toBeGreaterThan(4);
    expect(Math.max(...limits)).toBeLessThanOrEqual(502);
    await w.beforeApplicationShutdown();
  });

  it('drops a job waiting locally once it is cancelled: it never starts', async () => {
    const { s, w, blocked, ahead, release } = await holdingOneAhead();
    const heartbeat = jest.spyOn(s.queue, 'heartbeat');
    await s.store.cancelJob('default', ahead.id);
    // The worker stops renewing it (the NOTIFY dropped it; a heartbeat would have too)...
    await until(() => heartbeat.mock.calls.some(([, ids]) => !ids.includes(ahead.id)));
    release();
    await until(async () => (await s.job(blocked.id)).status === 'completed');
    const next = await s.submit([['next.txt', 'x']]);
    await until(async () => (await s.job(next.id)).status === 'completed');
    // ...and the slot went to the next job instead.
    expect(s.extractor.seen).not.toContain('ahead.txt');
    expect(await s.job(ahead.id)).toMatchObject({ status: 'cancelled', processedDocuments: 0 });
    await w.beforeApplicationShutdown();
  });

  it('on shutdown hands the jobs waiting locally back at once, before the grace period of running ones', async () => {
    const { s, w, blocked, ahead } = await holdingOneAhead({ WORKER_SHUTDOWN_GRACE_SECONDS: '1' });
    const released = jest.spyOn(s.queue, 'release');
    await w.beforeApplicationShutdown();
    // First the waiting job, alone; the running one only after its grace period ran out.
    expect(released.mock.calls.map(([, ids]) => ids)).toEqual([[ahead.id], [blocked.id]]);
    expect(await s.job(ahead.id)).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
    expect(await s.job(blocked.id)).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
    expect(s.extractor.seen).not.toContain('ahead.txt');
  });

  it('stops working on a job the moment it is cancelled (NOTIFY, not the next heartbeat), and writes nothing for it', async () => {
    const long = untilAborted();
    // Heartbeats every 20 s: only the cancel notification can stop the work within the wait below.
    const s = await setup(long.extractor, config({ JOB_LEASE_SECONDS: '60' }));
    const w = worker(s);
    await w.onApplicationBootstrap();
    const job = await s.submit([['long.pdf', 'x']]);
    await until(() => s.extractor.seen.includes('long.pdf'));
    await s.store.cancelJob('default', job.id);
    await until(() => long.aborted, 5000); // well before the first heartbeat (20 s)
    await w.beforeApplicationShutdown();
    expect(await s.job(job.id)).toMatchObject({ status: 'cancelled', processedDocuments: 0 });
  });

  it('stops a job whose lease it lost when a heartbeat says so', async () => {
    const long = untilAborted();
    const s = await setup(long.extractor, config({ JOB_LEASE_SECONDS: '5' }));
    const w = worker(s);
    await w.onApplicationBootstrap();
    const job = await s.submit([['long.pdf', 'x']]);
    await until(() => s.extractor.seen.includes('long.pdf'));
    // Another worker took the job over (as after a lease that ran out); no notification says so.
    await s.db.sql.query(`update inbox_jobs set locked_by = 'other' where id = $1`, [job.id]);
    await until(() => long.aborted, 4000); // the heartbeat (every lease/3) notices
    await w.beforeApplicationShutdown();
  });

  it.each([
    ['the database goes away', 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ["the database's disk is full", '53100', 'could not extend file "base/5/16630": No space left on device'],
  ])('hands a job back without spending an attempt when %s mid-job', async (_what, code, message) => {
    const s = await setup();
    const job = await s.submit([['a.txt', 'invoice']]);
    const [claimed] = await s.queue.claim('w1', 1);
    const outage = Object.assign(new Error(message), { code });
    jest.spyOn(s.queue, 'record').mockRejectedValueOnce(outage);
    await s.runner.run(claimed, 'w1', new OutcomeWriter(s.queue, 'w1'), new AbortController().signal);
    expect(await s.job(job.id)).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null, error: null });
  });
});
