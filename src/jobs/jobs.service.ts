import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { OTHER } from '../classifier/taxonomy';
import { TenantTaxonomies } from '../classifier/tenant-taxonomies';
import {
  Conflict,
  FileGone,
  FileNotFound,
  IdempotencyConflict,
  InvalidRequest,
  JobNotFound,
  JobNotRetryable,
  PayloadTooLarge,
} from '../common/errors';
import { isUuid } from '../common/uuid';
import { AppConfig } from '../config/app-config';
import type { Readable } from 'node:stream';
import { ApiMetrics } from '../metrics/api-metrics';
import { BlobStore } from '../storage/blob-store.port';
import { BlobNotFound } from '../storage/blob-errors';
import { WebhookSettingsService } from '../webhooks/webhook-settings.service';
import type { Job, JobDetails, JobStatus, NewJobFile } from './job.model';
import { JobStore, type JobPage, type StoredFile } from './job-store.port';
import { decodeCursor } from './sql-job.store';
import { safeFilename } from './safe-filename';
import { sniffContentType } from './upload-inspector';

/** `categories` narrows the taxonomy; the fallback is in every job's, so naming it is a mistake. */
export const OTHER_IMPLIED_MESSAGE = `'${OTHER}' is always implied; list only the types you want in categories (see GET /categories)`;

export const BAD_CURSOR_MESSAGE = 'cursor is not one this API returned; pass the next_cursor of the previous page';

/** A file of an upload, already streamed into the BlobStore. */
export interface StagedFile {
  originalname: string;
  size: number;
  sha256: string;
  blobKey: string;
  /** The first bytes, for sniffing the type. */
  head: Buffer;
}

export interface Submission {
  tenantId: string;
  /** The id the blob keys were made with. */
  jobId: string;
  files: StagedFile[];
  categories?: string[];
  idempotencyKey?: string;
  /** The multipart field callback_url, as sent. */
  callbackUrl?: string;
}

@Injectable()
export class JobsService {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly store: JobStore,
    private readonly blobs: BlobStore,
    private readonly taxonomies: TenantTaxonomies,
    private readonly config: AppConfig,
    private readonly metrics: ApiMetrics,
    private readonly webhooks: WebhookSettingsService,
  ) {}

  /**
   * Validates every file, then records the job, its files and documents at once. Whatever is
   * refused or not recorded has its blobs deleted (the orphan sweep is the backstop).
   */
  async submit(submission: Submission): Promise<Job> {
    const keys = submission.files.map((f) => f.blobKey);
    let recorded = false;
    try {
      const job = await this.record(submission);
      recorded = job.id === submission.jobId;
      return job;
    } finally {
      if (!recorded && keys.length > 0) await this.deleteBlobs(keys);
    }
  }

  private async record({ tenantId, jobId, files, categories, idempotencyKey, callbackUrl }: Submission): Promise<Job> {
    if (files.length === 0)
      throw new InvalidRequest("no files: send one or more documents in the multipart field 'files'");
    if (files.length > this.config.uploads.maxFiles) {
      throw new PayloadTooLarge(
        `too many files: ${files.length} sent, at most ${this.config.uploads.maxFiles} per job`,
      );
    }
    const narrowed = categories?.length ? [...new Set(categories)] : null;
    if (narrowed) {
      if (narrowed.includes(OTHER)) throw new InvalidRequest(OTHER_IMPLIED_MESSAGE);
      const unknown = (await this.taxonomies.forTenant(tenantId)).unknown(narrowed);
      if (unknown.length > 0) {
        throw new InvalidRequest(`unknown categories: ${unknown.join(', ')} (see GET /categories)`);
      }
    }
    const callback = callbackUrl ? await this.webhooks.checkCallbackUrl(callbackUrl) : undefined;
    const stored: NewJobFile[] = [];
    for (const file of files) {
      const filename = safeFilename(file.originalname);
      if (file.size === 0) throw new InvalidRequest(`file '${filename}' is empty`);
      stored.push({
        filename,
        contentType: await sniffContentType(filename, file.head),
        size: file.size,
        sha256: file.sha256,
        blobKey: file.blobKey,
      });
    }
    const answer = await this.store.createJob({
      id: jobId,
      tenantId,
      files: stored,
      categories: narrowed,
      maxAttempts: this.config.worker.maxAttempts,
      idempotencyKey,
      fingerprint: idempotencyKey ? fingerprint(stored, narrowed, callback) : undefined,
      callbackUrl: callback,
    });
    if (answer.outcome === 'existing' && !answer.sameUpload) {
      throw new IdempotencyConflict(idempotencyKey!, answer.job.id);
    }
    if (answer.outcome === 'created') this.metrics.jobCreated(tenantId);
    return answer.job;
  }

  async get(tenantId: string, id: string): Promise<JobDetails> {
    const job = isUuid(id) ? await this.store.getJob(tenantId, id) : null;
    if (!job) throw new JobNotFound(id);
    return job;
  }

  list(tenantId: string, query: { status?: JobStatus; limit?: number; cursor?: string }): Promise<JobPage> {
    if (query.cursor && !decodeCursor(query.cursor)) throw new InvalidRequest(BAD_CURSOR_MESSAGE);
    return this.store.listJobs(tenantId, { status: query.status, limit: query.limit ?? 20, cursor: query.cursor });
  }

  async cancel(tenantId: string, id: string): Promise<Job> {
    const job = isUuid(id) ? await this.store.cancelJob(tenantId, id) : null;
    if (!job) throw new JobNotFound(id);
    return job;
  }

  async retry(tenantId: string, id: string): Promise<Job> {
    const answer = isUuid(id) ? await this.store.retryJob(tenantId, id) : null;
    if (!answer) throw new JobNotFound(id);
    if (answer.purged) {
      throw new Conflict(
        `job ${id}'s files were purged (RETENTION_FILES_DAYS), so it cannot run again; upload the files again`,
      );
    }
    if (!answer.retried) {
      throw new JobNotRetryable(id, answer.job.status);
    }
    return answer.job;
  }

  /** An uploaded file and its bytes, for the tenant only: 404 unknown, 410 purged by retention. */
  async download(tenantId: string, jobId: string, position: number): Promise<{ file: StoredFile; body: Readable }> {
    const answer = isUuid(jobId) ? await this.store.getFile(tenantId, jobId, position) : null;
    if (!answer) throw new JobNotFound(jobId);
    const { file } = answer;
    if (!file) throw new FileNotFound(jobId, position);
    if (file.purgedAt) throw new FileGone(jobId, position, file.purgedAt);
    if (!file.blobKey) throw new FileNotFound(jobId, position, 'no stored bytes for the file');
    try {
      return { file, body: await this.blobs.get(file.blobKey) };
    } catch (err) {
      if (err instanceof BlobNotFound) throw new FileNotFound(jobId, position, 'lost the bytes of the file');
      throw err;
    }
  }

  /** Deletes the job, its files' bytes and its page text now. */
  async delete(tenantId: string, id: string): Promise<void> {
    const keys = isUuid(id) ? await this.store.deleteJob(tenantId, id) : null;
    if (!keys) throw new JobNotFound(id);
    await this.deleteBlobs(keys);
  }

  private async deleteBlobs(keys: string[]): Promise<void> {
    // The rows are gone (or were never written): a blob left behind is an orphan the sweep removes.
    await this.blobs.delete(keys).catch((err: unknown) => {
      this.logger.warn(`could not delete ${keys.length} blob(s) now (${(err as Error).message}); the sweep will`);
    });
  }
}

/** What an upload was, for telling a retried request from another upload with the same key. */
function fingerprint(files: NewJobFile[], categories: string[] | null, callbackUrl?: string): string {
  // Without a callback URL, the fingerprint of the releases before webhooks.
  const what = JSON.stringify({
    files: files.map((f) => [f.sha256, f.filename]),
    categories,
    ...(callbackUrl ? { callbackUrl } : {}),
  });
  return createHash('sha256').update(what).digest('hex');
}
