import type { S3Client } from '@aws-sdk/client-s3';
import { Global, Inject, Module, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DbFunctions } from '../database/db-functions.port';
import { BlobStore } from './blob-store.port';
import { BlobSweeper } from './blob-sweeper';
import { BlobSweepSchedule } from './blob-sweep.schedule';
import { DatabaseBlobStore } from './database.blob-store';
import { FilesystemBlobStore } from './filesystem.blob-store';

/** The DI token of BLOB_STORE=s3's client (null for the other drivers). */
export const BLOB_S3_CLIENT = 'BLOB_S3_CLIENT';

/**
 * The S3 client for BLOB_STORE=s3, null otherwise. The AWS SDK (like supabase-js below) is
 * loaded only by the driver that uses it: a process on another store never carries it.
 */
export async function createBlobS3Client(config: AppConfig): Promise<S3Client | null> {
  const target = config.blobs.store;
  if (target.driver !== 's3') return null;
  return (await import('./s3.blob-store.js')).s3ClientFor(target);
}

/**
 * The one place BLOB_STORE picks a driver; unknown values were refused by the configuration, and
 * so was `database` over Supabase's RPC (bytes never travel through RPC). A Supabase bucket is
 * created here if missing, before the first upload.
 */
export async function createBlobStore(config: AppConfig, db: DbFunctions, s3: S3Client | null): Promise<BlobStore> {
  const target = config.blobs.store;
  switch (target.driver) {
    case 'database':
      if (config.database.kind === 'supabase') {
        throw new Error('BLOB_STORE=database needs DATABASE_URL or the embedded database: RPC carries no bytes');
      }
      return new DatabaseBlobStore(db);
    case 'supabase': {
      const [{ SupabaseBlobStore }, { createSupabaseClient }] = await Promise.all([
        import('./supabase.blob-store.js'),
        import('../supabase/supabase-client.js'),
      ]);
      const store = new SupabaseBlobStore(createSupabaseClient(target, { boundRequests: false }).storage, {
        bucket: target.bucket,
        fileSizeLimit: target.fileSizeLimit,
      });
      await store.ensureBucket();
      return store;
    }
    case 'filesystem':
      return new FilesystemBlobStore(target.dir);
    case 's3':
      if (!s3) throw new Error('BLOB_STORE=s3 without its S3 client');
      return new (await import('./s3.blob-store.js')).S3BlobStore(s3, {
        bucket: target.bucket,
        keyPrefix: target.keyPrefix,
      });
  }
}

/**
 * The BlobStore, global: the API writes uploads through it, the worker reads them, job deletion
 * and the sweep delete them. The sweep itself is BlobSweepModule, imported by one role only.
 */
@Global()
@Module({
  providers: [
    { provide: BLOB_S3_CLIENT, useFactory: createBlobS3Client, inject: [AppConfig] },
    { provide: BlobStore, useFactory: createBlobStore, inject: [AppConfig, DbFunctions, BLOB_S3_CLIENT] },
  ],
  exports: [BlobStore],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(BLOB_S3_CLIENT) private readonly s3: S3Client | null) {}

  onApplicationShutdown(): void {
    this.s3?.destroy();
  }
}

/** The orphan sweep on its interval (BLOB_SWEEP_INTERVAL_MINUTES), for the role that runs it. */
@Module({
  providers: [BlobSweeper, BlobSweepSchedule],
  exports: [BlobSweeper],
})
export class BlobSweepModule {}
