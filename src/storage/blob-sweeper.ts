import { Injectable, Logger } from '@nestjs/common';
import { DbFunctions } from '../database/db-functions.port';
import { BlobStore } from './blob-store.port';

export interface SweepResult {
  /** Blobs old enough to judge. */
  scanned: number;
  /** Of those, the ones no file row referenced, now deleted. */
  deleted: number;
  /** Half-written puts a killed process left (staged chunks, temp files). */
  staleUploads: number;
}

/** A blob this old that no file row references is an orphan: its upload can no longer commit. */
export const ORPHAN_AGE_MS = 60 * 60 * 1000;
const BATCH = 500;

/**
 * The backstop for a server killed mid-upload (or a creation whose clean-up failed): deletes
 * blobs last written over an hour ago that no `inbox_job_files.blob_key` references. The
 * question is the migration's inbox_unreferenced_blob_keys, asked a batch at a time, so memory
 * stays at one batch of keys however large the store. Safe to run in several processes at
 * once: deleting a missing key is not an error.
 */
@Injectable()
export class BlobSweeper {
  private readonly logger = new Logger(BlobSweeper.name);

  constructor(
    private readonly store: BlobStore,
    private readonly db: DbFunctions,
  ) {}

  async sweepOnce(now: Date = new Date()): Promise<SweepResult> {
    const before = new Date(now.getTime() - ORPHAN_AGE_MS);
    const result: SweepResult = { scanned: 0, deleted: 0, staleUploads: 0 };
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const orphans = await this.db.call<string[]>('inbox_unreferenced_blob_keys', { p_keys: batch });
      if (orphans.length > 0) await this.store.delete(orphans);
      result.scanned += batch.length;
      result.deleted += orphans.length;
      batch = [];
    };
    for await (const blob of this.store.list({ before })) {
      batch.push(blob.key);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    result.staleUploads = await this.store.discardStaleUploads(before);
    if (result.deleted > 0 || result.staleUploads > 0) {
      this.logger.log(
        `blob sweep: deleted ${result.deleted} unreferenced of ${result.scanned} blobs older than an hour, ` +
          `${result.staleUploads} stale uploads`,
      );
    }
    return result;
  }
}
