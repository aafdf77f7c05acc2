import { Classifier, type Classification, type ClassificationInput } from '../../src/classifier/classifier.port';
import type { ClaimedJob, FileOutcome, Job, JobStatus, JobWithFiles, NewJob } from '../../src/jobs/job.model';
import { JobStore, type JobPage, type StoredDocument } from '../../src/jobs/job-store.port';
import { TextExtractor, type ExtractionInput, type ExtractionResult } from '../../src/ocr/text-extractor.port';

interface StoredJob {
  job: JobWithFiles;
  bytes: Buffer[];
  texts: (string | null)[];
}

/** An in-memory JobStore with the queue semantics of the SQL functions, for unit tests. */
export class InMemoryJobStore extends JobStore {
  readonly jobs = new Map<string, StoredJob>();
  readonly listeners = new Set<() => void>();
  readonly calls: string[] = [];
  private seq = 0;

  async createJob(input: NewJob): Promise<Job> {
    const id = `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`;
    const now = new Date();
    const job: JobWithFiles = {
      id,
      type: 'classify',
      status: 'pending',
      progress: 0,
      totalFiles: input.files.length,
      processedFiles: 0,
      failedFiles: 0,
      attempts: 0,
      maxAttempts: input.maxAttempts,
      runAt: now,
      lockedBy: null,
      lockedUntil: null,
      error: null,
      categories: input.categories,
      createdAt: now,
      startedAt: null,
      completedAt: null,
      updatedAt: now,
      files: input.files.map((f, position) => ({
        position,
        filename: f.filename,
        contentType: f.contentType,
        size: f.bytes.length,
        sha256: f.sha256,
        status: 'pending',
        result: null,
        error: null,
      })),
    };
    this.jobs.set(id, { job, bytes: input.files.map((f) => f.bytes), texts: input.files.map(() => null) });
    for (const l of this.listeners) l();
    return job;
  }

  async getJob(id: string): Promise<JobWithFiles | null> {
    return this.jobs.get(id)?.job ?? null;
  }

  async listJobs(query: { status?: JobStatus; limit: number }): Promise<JobPage> {
    const all = [...this.jobs.values()].map((s) => s.job).filter((j) => !query.status || j.status === query.status);
    return { jobs: all.reverse().slice(0, query.limit), nextCursor: null };
  }

  async cancelJob(id: string): Promise<Job | null> {
    const s = this.jobs.get(id);
    if (!s) return null;
    if (s.job.status === 'pending' || s.job.status === 'processing') {
      Object.assign(s.job, { status: 'cancelled', lockedBy: null, lockedUntil: null });
    }
    return s.job;
  }

  async claimJobs(workerId: string, limit: number, leaseSeconds: number): Promise<ClaimedJob[]> {
    this.calls.push(`claim:${limit}`);
    const now = Date.now();
    const runnable = [...this.jobs.values()].filter(
      ({ job }) =>
        (job.status === 'pending' && job.runAt.getTime() <= now) ||
        (job.status === 'processing' && (job.lockedUntil?.getTime() ?? 0) < now),
    );
    return runnable.slice(0, limit).map(({ job }) => {
      Object.assign(job, {
        status: 'processing',
        attempts: job.attempts + 1,
        lockedBy: workerId,
        lockedUntil: new Date(now + leaseSeconds * 1000),
      });
      return {
        id: job.id,
        attempts: job.attempts,
        maxAttempts: job.maxAttempts,
        categories: job.categories,
        pendingFiles: job.files
          .filter((f) => f.status === 'pending')
          .map(({ position, filename, contentType, size }) => ({ position, filename, contentType, size })),
      };
    });
  }

  async heartbeat(workerId: string, jobIds: string[]): Promise<string[]> {
    return jobIds.filter((id) => this.held(workerId, id));
  }

  async loadFileBytes(jobId: string, position: number): Promise<Buffer | null> {
    return this.jobs.get(jobId)?.bytes[position] ?? null;
  }

  async recordFileOutcomes(workerId: string, outcomes: FileOutcome[]): Promise<string[]> {
    this.calls.push(`record:${outcomes.length}`);
    const completed: string[] = [];
    for (const o of outcomes) {
      if (!this.held(workerId, o.jobId)) continue;
      const s = this.jobs.get(o.jobId)!;
      const file = s.job.files[o.position];
      if (file.status !== 'pending') continue;
      if (o.status === 'completed') {
        Object.assign(file, { status: 'completed', result: o.result });
        s.texts[o.position] = o.text;
      } else {
        Object.assign(file, { status: 'failed', error: o.error });
        s.job.failedFiles++;
      }
      s.job.processedFiles++;
      s.job.progress = Math.floor((100 * s.job.processedFiles) / s.job.totalFiles);
      if (s.job.processedFiles === s.job.totalFiles) {
        Object.assign(s.job, { status: 'completed', lockedBy: null, lockedUntil: null, completedAt: new Date() });
        completed.push(s.job.id);
      }
    }
    return completed;
  }

  async failJob(workerId: string, jobId: string, error: string): Promise<JobStatus | null> {
    if (!this.held(workerId, jobId)) return null;
    const { job } = this.jobs.get(jobId)!;
    const retry = job.attempts < job.maxAttempts;
    Object.assign(job, {
      status: retry ? 'pending' : 'failed',
      error,
      lockedBy: null,
      lockedUntil: null,
      runAt: retry ? new Date(Date.now() + 60_000) : job.runAt,
    });
    return job.status;
  }

  async releaseJobs(workerId: string, jobIds: string[]): Promise<void> {
    for (const id of jobIds) {
      if (!this.held(workerId, id)) continue;
      const { job } = this.jobs.get(id)!;
      Object.assign(job, {
        status: 'pending',
        attempts: job.attempts - 1,
        lockedBy: null,
        lockedUntil: null,
        runAt: new Date(),
      });
    }
  }

  async getDocument(jobId: string, position: number): Promise<StoredDocument | null> {
    const s = this.jobs.get(jobId);
    const file = s?.job.files[position];
    if (!s || !file) return null;
    return {
      jobId,
      position,
      filename: file.filename,
      status: file.status,
      text: s.texts[position],
      label: file.result?.document_type ?? null,
    };
  }

  async onJobCreated(listener: () => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => void this.listeners.delete(listener);
  }

  async ping(): Promise<void> {}

  private held(workerId: string, jobId: string): boolean {
    const job = this.jobs.get(jobId)?.job;
    return job?.status === 'processing' && job.lockedBy === workerId;
  }
}

/** Reads text files as one page; other behaviour is scripted per filename. */
export class FakeExtractor extends TextExtractor {
  readonly seen: string[] = [];
  constructor(private readonly script: Record<string, (input: ExtractionInput) => Promise<ExtractionResult>> = {}) {
    super();
  }
  async extract(input: ExtractionInput): Promise<ExtractionResult> {
    this.seen.push(input.filename);
    const scripted = this.script[input.filename];
    if (scripted) return scripted(input);
    return {
      pages: [{ number: 1, text: Buffer.from(input.bytes).toString('utf8'), source: 'plain-text', confidence: null }],
      pageCount: 1,
      warnings: [],
    };
  }
}

/** Labels a text 'invoice' when it says invoice, else 'other'. */
export class FakeClassifier extends Classifier {
  readonly inputs: ClassificationInput[] = [];
  async classify(input: ClassificationInput): Promise<Classification> {
    this.inputs.push(input);
    const invoice = input.pages.some((p) => /invoice/i.test(p.text));
    return {
      label: invoice ? 'invoice' : 'other',
      confidence: invoice ? 0.9 : 0.2,
      reasons: invoice ? ['says invoice'] : [],
      classifier: 'fake',
      usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12 },
    };
  }
}
