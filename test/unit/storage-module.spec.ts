import { DbFunctions } from '../../src/database/db-functions.port';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AppConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { Migrator } from '../../src/database/migrator';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';
import { SqlClient } from '../../src/database/sql-client.port';
import { blobKeyFor } from '../../src/storage/blob-key';
import { BlobStore, readBlob } from '../../src/storage/blob-store.port';
import { BlobSweeper } from '../../src/storage/blob-sweeper';
import { DatabaseBlobStore } from '../../src/storage/database.blob-store';
import { FilesystemBlobStore } from '../../src/storage/filesystem.blob-store';
import { S3BlobStore } from '../../src/storage/s3.blob-store';
import { BlobSweepModule, StorageModule } from '../../src/storage/storage.module';
import { FakeS3Server } from '../support/fake-s3.server';
import { FakeSupabaseServer } from '../support/fake-supabase.server';
import { SupabaseBlobStore } from '../../src/storage/supabase.blob-store';

const KEY = blobKeyFor('default', '0b6f3a8e-6a52-4f1e-9d0c-8f1a2b3c4d5e', 0);

describe('StorageModule', () => {
  let sql: PgliteSqlClient;
  let dir: string;
  beforeAll(async () => {
    sql = await PgliteSqlClient.open();
    await new Migrator(sql).migrate();
    dir = await mkdtemp(join(tmpdir(), 'storage-module-'));
  }, 60_000);
  afterAll(async () => {
    await sql.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function resolve(env: Record<string, string>) {
    @Global()
    @Module({
      providers: [
        { provide: SqlClient, useValue: sql },
        { provide: DbFunctions, useValue: new SqlDbFunctions(sql) },
      ],
      exports: [SqlClient, DbFunctions],
    })
    class FakeDatabaseModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(AppConfig.fromEnvironment(env)),
        FakeDatabaseModule,
        StorageModule,
        BlobSweepModule,
      ],
    }).compile();
    await moduleRef.init();
    return moduleRef;
  }

  it('picks the driver BLOB_STORE names', async () => {
    const database = await resolve({});
    expect(database.get(BlobStore)).toBeInstanceOf(DatabaseBlobStore);
    expect(database.get(BlobSweeper)).toBeInstanceOf(BlobSweeper);
    await database.close();

    const filesystem = await resolve({ BLOB_STORE: 'filesystem', BLOB_DIR: dir });
    const store = filesystem.get(BlobStore);
    expect(store).toBeInstanceOf(FilesystemBlobStore);
    await store.put(KEY, Readable.from([Buffer.from('on disk')]));
    expect((await readBlob(new FilesystemBlobStore(dir), KEY)).toString()).toBe('on disk');
    await filesystem.close();
  });

  it('builds an S3 client from S3_ENDPOINT, S3_FORCE_PATH_STYLE, the region and the credential chain', async () => {
    const server = new FakeS3Server(['inbox-files']);
    const endpoint = await server.start();
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMCHAIN';
    process.env.AWS_SECRET_ACCESS_KEY = 'chain-secret';
    try {
      const moduleRef = await resolve({
        BLOB_STORE: 's3',
        S3_BUCKET: 'inbox-files',
        S3_REGION: 'auto',
        S3_ENDPOINT: endpoint,
        S3_FORCE_PATH_STYLE: 'true',
      });
      const store = moduleRef.get(BlobStore);
      expect(store).toBeInstanceOf(S3BlobStore);
      await store.put(KEY, Readable.from([Buffer.from('in the bucket')]));
      expect(server.s3.object('inbox-files', `inbox-blobs/${KEY}`)?.toString()).toBe('in the bucket');
      expect(server.s3.requests[0].authorization).toContain('Credential=AKIDFROMCHAIN/');
      expect(server.s3.requests[0].authorization).toContain('/auto/s3/aws4_request');
      await moduleRef.close();
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      await server.stop();
    }
  });

  it('uses Supabase Storage whenever SUPABASE_URL is set, creating the private bucket at start', async () => {
    const server = new FakeSupabaseServer(undefined);
    const url = await server.start();
    try {
      const moduleRef = await resolve({
        SUPABASE_URL: url,
        SUPABASE_SERVICE_ROLE_KEY: server.serviceRoleKey,
        DATABASE_URL: 'postgres://u@127.0.0.1:1/unused',
        SUPABASE_STORAGE_BUCKET: 'inbox-files',
      });
      const store = moduleRef.get(BlobStore);
      expect(store).toBeInstanceOf(SupabaseBlobStore);
      expect(server.buckets.get('inbox-files')).toMatchObject({ public: false, file_size_limit: 25 * 1024 * 1024 });
      await store.put(KEY, Readable.from([Buffer.from('in Storage')]));
      expect(await server.objectKeys('inbox-files')).toEqual([KEY]);
      await moduleRef.close();
    } finally {
      await server.stop();
    }
  });
});
