import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { Taxonomy } from '../../src/classifier/taxonomy';
import type { AppConfig } from '../../src/config/app-config';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { DEFAULT_TENANT, type Job, type JobDetails } from '../../src/jobs/job.model';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { MetricsRegistry } from '../../src/metrics/metrics-registry';
import { WorkerMetrics } from '../../src/metrics/worker-metrics';
import { blobKeyFor } from '../../src/storage/blob-key';
import { FilesystemBlobStore } from '../../src/storage/filesystem.blob-store';
import { DocumentPipeline } from '../../src/worker/document-pipeline';
import { JobRunner } from '../../src/worker/job-runner';
import { databaseTargets, type TestDatabase } from './databases';
import { FakeClassifier, FakeExtractor } from './fakes';
import { sha256 } from './fixtures';

export const testTaxonomy = new Taxonomy([
  { id: 'invoice', label: 'Invoice', description: 'asks for payment', keywords: ['invoice'] },
  { id: 'letter', label: 'Letter', description: 'a letter', keywords: ['dear'] },
]);

/**
 * The worker's parts over real stores (PGlite and a blob folder) with scripted providers: what
 * a unit test of the runner, the pipeline and the claim loop needs, without Nest.
 */
export class WorkerHarness {
  readonly store: SqlJobStore;
  readonly queue: SqlJobQueue;
  readonly blobs: FilesystemBlobStore;
  readonly classifier = new FakeClassifier();
  readonly pipeline: DocumentPipeline;
  readonly runner: JobRunner;
  /** This harness's own registry: scrape it with `registry.metrics()`. */
  readonly registry = new MetricsRegistry();
  readonly metrics = new WorkerMetrics(this.registry);

  private constructor(
    readonly db: TestDatabase,
    private readonly blobDir: string,
    readonly extractor: FakeExtractor,
    readonly config: AppConfig,
  ) {
    const functions = new SqlDbFunctions(db.sql);
    this.store = new SqlJobStore(functions);
    this.queue = new SqlJobQueue(functions, {
      leaseSeconds: config.worker.leaseSeconds,
      listen: db.sql.listen.bind(db.sql),
    });
    this.blobs = new FilesystemBlobStore(blobDir);
    this.pipeline = new DocumentPipeline(this.blobs, extractor, this.classifier, testTaxonomy, config, this.metrics);
    this.runner = new JobRunner(this.queue, this.pipeline, this.metrics);
  }

  static async start(extractor: FakeExtractor, config: AppConfig): Promise<WorkerHarness> {
    const [pglite] = databaseTargets();
    return new WorkerHarness(await pglite.create(), mkdtempSync(join(tmpdir(), 'inbox-blobs-')), extractor, config);
  }

  /** Uploads text files as the API would: bytes into the blob store, then the job. */
  /** The same stores with other providers and settings. */
  with(extractor: FakeExtractor, config: AppConfig): WorkerHarness {
    return new WorkerHarness(this.db, this.blobDir, extractor, config);
  }

  async submit(
    files: Array<[filename: string, text: string]>,
    options: { categories?: string[]; maxAttempts?: number } = {},
  ): Promise<Job> {
    const id = randomUUID();
    const stored = [];
    for (const [position, [filename, text]] of files.entries()) {
      const blobKey = blobKeyFor(DEFAULT_TENANT, id, position);
      const blob = await this.blobs.put(blobKey, Readable.from([Buffer.from(text)]));
      stored.push({ filename, contentType: 'text/plain', size: blob.size, sha256: sha256(text), blobKey });
    }
    const answer = await this.store.createJob({
      id,
      tenantId: DEFAULT_TENANT,
      files: stored,
      categories: options.categories ?? null,
      maxAttempts: options.maxAttempts ?? this.config.worker.maxAttempts,
    });
    return answer.job;
  }

  async job(id: string): Promise<JobDetails> {
    const job = await this.store.getJob(DEFAULT_TENANT, id);
    if (!job) throw new Error(`job ${id} is gone`);
    return job;
  }

  async close(): Promise<void> {
    await this.db.dispose();
    rmSync(this.blobDir, { recursive: true, force: true });
  }
}
