import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DbFunctions } from '../database/db-functions.port';
import { BlobStore } from '../storage/blob-store.port';

export interface PurgeResult {
  /** Jobs whose files' bytes and page text were deleted (RETENTION_FILES_DAYS). */
  filesPurgedJobs: number;
  filesPurged: number;
  /** Jobs deleted whole (RETENTION_JOBS_DAYS). */
  jobsDeleted: number;
  /** Blobs deleted from the BlobStore. */
  blobsDeleted: number;
}

/** Jobs per SQL call: each call is one short transaction, however large the backlog. */
export const PURGE_BATCH = 100;

/**
 * Retention: deletes the files (bytes and page text, keeping results) of jobs that ended more
 * than RETENTION_FILES_DAYS ago, and whole jobs that ended more than RETENTION_JOBS_DAYS ago. The
 * SQL functions pick jobs with FOR UPDATE SKIP LOCKED, so several workers purge side by side;
 * they answer the blob keys they released, deleted here after each batch. A blob whose delete
 * fails is unreferenced by then: the orphan sweep removes it within its interval.
 */
@Injectable()
export class RetentionPurger {
  private readonly logger = new Logger(RetentionPurger.name);

  constructor(
    private readonly db: DbFunctions,
    private readonly blobs: BlobStore,
    private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    const { filesDays, jobsDays } = this.config.retention;
    return filesDays !== undefined || jobsDays !== undefined;
  }

  async purgeOnce(): Promise<PurgeResult> {
    const { filesDays, jobsDays } = this.config.retention;
    const result: PurgeResult = { filesPurgedJobs: 0, filesPurged: 0, jobsDeleted: 0, blobsDeleted: 0 };
    // Whole jobs first: their files need no separate purge.
    if (jobsDays !== undefined) {
      for (;;) {
        const batch = await this.db.call<{ jobs: number; blob_keys: string[] }>('inbox_purge_old_jobs', {
          p_days: jobsDays,
          p_limit: PURGE_BATCH,
        });
        result.jobsDeleted += batch.jobs;
        result.blobsDeleted += await this.deleteBlobs(batch.blob_keys);
        if (batch.jobs < PURGE_BATCH) break;
      }
    }
    if (filesDays !== undefined) {
      for (;;) {
        const batch = await this.db.call<{ jobs: number; files: number; blob_keys: string[] }>(
          'inbox_purge_job_files',
          { p_days: filesDays, p_limit: PURGE_BATCH },
        );
        result.filesPurgedJobs += batch.jobs;
        result.filesPurged += batch.files;
        result.blobsDeleted += await this.deleteBlobs(batch.blob_keys);
        if (batch.jobs < PURGE_BATCH) break;
      }
    }
    this.logger.log(
      `retention: ${result.jobsDeleted} jobs deleted (RETENTION_JOBS_DAYS=${jobsDays ?? 'off'}), ` +
        `${result.filesPurged} files of ${result.filesPurgedJobs} jobs purged (RETENTION_FILES_DAYS=${filesDays ?? 'off'}), ` +
        `${result.blobsDeleted} blobs deleted`,
    );
    return result;
  }

  private async deleteBlobs(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    try {
      await this.blobs.delete(keys);
      return keys.length;
    } catch (err) {
      this.logger.warn(
        `retention: could not delete ${keys.length} blob(s) now (${(err as Error).message}); the orphan sweep will`,
      );
      return 0;
    }
  }
}
