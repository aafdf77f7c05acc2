import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Taxonomy } from '../classifier/taxonomy';
import { InvalidRequest, JobNotFound, PayloadTooLarge } from '../common/errors';
import { AppConfig } from '../config/app-config';
import type { Job, JobStatus, JobWithFiles, NewJobFile } from './job.model';
import { JobStore, type JobPage } from './job-store.port';
import { decodeCursor } from './sql-job.store';
import { safeFilename } from './safe-filename';
import { sniffContentType } from './upload-inspector';
import { isUuid } from '../common/uuid';

export interface UploadedDocument {
  originalname: string;
  buffer: Buffer;
}

@Injectable()
export class JobsService {
  constructor(
    private readonly store: JobStore,
    private readonly taxonomy: Taxonomy,
    private readonly config: AppConfig,
  ) {}

  /** Validates every file first, then stores the job and its files at once. */
  async submit(
    uploads: UploadedDocument[],
    options: { categories?: string[]; idempotencyKey?: string } = {},
  ): Promise<Job> {
    if (uploads.length === 0)
      throw new InvalidRequest("no files: send one or more documents in the multipart field 'files'");
    if (uploads.length > this.config.uploads.maxFiles) {
      throw new PayloadTooLarge(
        `too many files: ${uploads.length} sent, at most ${this.config.uploads.maxFiles} per job`,
      );
    }
    const categories = options.categories?.length ? [...new Set(options.categories)] : null;
    if (categories) {
      const unknown = this.taxonomy.unknown(categories);
      if (unknown.length > 0) {
        throw new InvalidRequest(`unknown categories: ${unknown.join(', ')} (see GET /categories)`);
      }
    }
    const files: NewJobFile[] = [];
    for (const upload of uploads) {
      const filename = safeFilename(upload.originalname);
      files.push({
        filename,
        contentType: await sniffContentType(filename, upload.buffer),
        bytes: upload.buffer,
        sha256: createHash('sha256').update(upload.buffer).digest('hex'),
      });
    }
    return this.store.createJob({
      files,
      categories,
      maxAttempts: this.config.worker.maxAttempts,
      idempotencyKey: options.idempotencyKey,
    });
  }

  async get(id: string): Promise<JobWithFiles> {
    if (!isUuid(id)) throw new JobNotFound(id);
    const job = await this.store.getJob(id);
    if (!job) throw new JobNotFound(id);
    return job;
  }

  list(query: { status?: JobStatus; limit?: number; cursor?: string }): Promise<JobPage> {
    if (query.cursor && !decodeCursor(query.cursor)) throw new InvalidRequest('cursor is not one this API returned');
    return this.store.listJobs({ status: query.status, limit: query.limit ?? 20, cursor: query.cursor });
  }

  async cancel(id: string): Promise<Job> {
    if (!isUuid(id)) throw new JobNotFound(id);
    const job = await this.store.cancelJob(id);
    if (!job) throw new JobNotFound(id);
    return job;
  }
}
