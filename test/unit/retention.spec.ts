import { AppConfig } from '../../src/config/app-config';
import { ConfigError } from '../../src/config/environment';
import type { DbFunctions, FunctionArgs } from '../../src/database/db-functions.port';
import { PURGE_BATCH, RetentionPurger } from '../../src/retention/retention-purger';
import { RetentionSchedule } from '../../src/retention/retention.schedule';
import { BlobStore, type BlobListing, type StoredBlob } from '../../src/storage/blob-store.port';

describe('retention settings', () => {
  it.each([
    [{}, undefined, undefined],
    [{ RETENTION_FILES_DAYS: '', RETENTION_JOBS_DAYS: '0' }, undefined, undefined],
    [{ RETENTION_FILES_DAYS: '30', RETENTION_JOBS_DAYS: '365' }, 30, 365],
  ])('%j reads as files %s, jobs %s', (env, filesDays, jobsDays) => {
    expect(AppConfig.fromEnvironment(env).retention).toEqual({ filesDays, jobsDays });
  });

  it.each(['abc', '-1', '1.5', '30d', '99999'])('refuses RETENTION_FILES_DAYS=%s, naming it', (value) => {
    let error: unknown;
    try {
      AppConfig.fromEnvironment({ RETENTION_FILES_DAYS: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^RETENTION_FILES_DAYS=\S+: RETENTION_FILES_DAYS must/),
    ]);
  });
});

/** Answers the purge functions from a script, and records the calls. */
class ScriptedFunctions implements DbFunctions {
  readonly calls: Array<[string, FunctionArgs]> = [];
  constructor(private readonly answers: Record<string, Array<Record<string, unknown>>>) {}
  call<T>(fn: string, args: FunctionArgs): Promise<T> {
    this.calls.push([fn, args]);
    const next = this.answers[fn]?.shift();
    if (!next) throw new Error(`unexpected call ${fn}`);
    return Promise.resolve(next as T);
  }
}

class RecordingBlobStore extends BlobStore {
  readonly deleted: string[][] = [];
  failDeletes = false;
  put(): Promise<StoredBlob> {
    throw new Error('not used');
  }
  get(): never {
    throw new Error('not used');
  }
  delete(keys: string[]): Promise<void> {
    if (this.failDeletes) return Promise.reject(new Error('store down'));
    this.deleted.push(keys);
    return Promise.resolve();
  }
  exists(): Promise<boolean> {
    return Promise.resolve(false);
  }
  // eslint-disable-next-line require-yield
  async *list(): AsyncIterable<BlobListing> {
    return;
  }
}

describe('RetentionPurger', () => {
  it('deletes whole jobs first, then files, batch after batch, deleting the blobs each batch released', async () => {
    const fns = new ScriptedFunctions({
      inbox_purge_old_jobs: [{ jobs: 0, blob_keys: [] }],
      inbox_purge_job_files: [
        { jobs: PURGE_BATCH, files: PURGE_BATCH, blob_keys: ['t/a/0'] },
        { jobs: 1, files: 2, blob_keys: ['t/b/0', 't/b/1'] },
      ],
    });
    const blobs = new RecordingBlobStore();
    const config = AppConfig.fromEnvironment({ RETENTION_FILES_DAYS: '30', RETENTION_JOBS_DAYS: '90' });
    const result = await new RetentionPurger(fns, blobs, config).purgeOnce();
    expect(fns.calls).toEqual([
      ['inbox_purge_old_jobs', { p_days: 90, p_limit: PURGE_BATCH }],
      ['inbox_purge_job_files', { p_days: 30, p_limit: PURGE_BATCH }],
      ['inbox_purge_job_files', { p_days: 30, p_limit: PURGE_BATCH }],
    ]);
    expect(blobs.deleted).toEqual([['t/a/0'], ['t/b/0', 't/b/1']]);
    expect(result).toEqual({
      filesPurgedJobs: PURGE_BATCH + 1,
      filesPurged: PURGE_BATCH + 2,
      jobsDeleted: 0,
      blobsDeleted: 3,
    });
  });

  it('goes on when the blob store refuses a delete (the orphan sweep takes those blobs later)', async () => {
    const fns = new ScriptedFunctions({ inbox_purge_old_jobs: [{ jobs: 2, blob_keys: ['t/a/0', 't/b/0'] }] });
    const blobs = new RecordingBlobStore();
    blobs.failDeletes = true;
    const config = AppConfig.fromEnvironment({ RETENTION_JOBS_DAYS: '90' });
    const result = await new RetentionPurger(fns, blobs, config).purgeOnce();
    expect(result).toEqual({ filesPurgedJobs: 0, filesPurged: 0, jobsDeleted: 2, blobsDeleted: 0 });
  });

  it('runs at boot when a setting is on, and not at all when both are off', async () => {
    for (const [env, expected] of [
      [{ RETENTION_JOBS_DAYS: '90' }, 1],
      [{}, 0],
    ] as const) {
      const fns = new ScriptedFunctions({ inbox_purge_old_jobs: [{ jobs: 0, blob_keys: [] }] });
      const schedule = new RetentionSchedule(
        new RetentionPurger(fns, new RecordingBlobStore(), AppConfig.fromEnvironment(env)),
      );
      schedule.onApplicationBootstrap();
      await schedule.idle();
      expect(fns.calls).toHaveLength(expected);
    }
  });
});
