import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { blobKeyFor } from '../../src/storage/blob-key';
import { BlobNotFound, BlobStoreUnavailable, InvalidBlobKey } from '../../src/storage/blob-errors';
import { BlobStore, readBlob } from '../../src/storage/blob-store.port';
import { DatabaseBlobStore } from '../../src/storage/database.blob-store';
import { FilesystemBlobStore } from '../../src/storage/filesystem.blob-store';
import { S3BlobStore } from '../../src/storage/s3.blob-store';
import { SupabaseBlobStore } from '../../src/storage/supabase.blob-store';
import { createSupabaseClient } from '../../src/supabase/supabase-client';
import { databaseTargets, type TestDatabase } from '../support/databases';
import { FakeS3Server } from '../support/fake-s3.server';
import { FakeSupabaseServer } from '../support/fake-supabase.server';

const MiB = 1024 * 1024;

interface BlobTarget {
  store: BlobStore;
  /** Pretends the blob was last written at `when`. */
  backdate(key: string, when: Date): Promise<void>;
  /** Bytes the backend holds or has received so far, staged or committed. */
  storedBytes(): Promise<number>;
  /** Staged or half-written puts still lying around (chunks, temp files, multipart uploads). */
  leftovers(): Promise<number>;
  /** How far behind the body the backend may lag while streaming (what the driver buffers). */
  lagBytes: number;
  dispose(): Promise<void>;
}

const BUCKET = 'blobs-test';

const databaseTarget = (name: 'pglite' | 'postgres') => ({
  name: `database on ${name}`,
  async create(): Promise<BlobTarget> {
    const target = databaseTargets().find((t) => t.name === name)!;
    const db: TestDatabase = await target.create();
    return {
      store: new DatabaseBlobStore(new SqlDbFunctions(db.sql), { pageSize: 2 }),
      backdate: async (key, when) =>
        void (await db.sql.query('update inbox_blobs set written_at = $2 where key = $1', [key, when])),
      storedBytes: async () =>
        Number(
          (await db.sql.query<{ n: string }>('select coalesce(sum(length(bytes)), 0) as n from inbox_blob_chunks'))[0]
            .n,
        ),
      leftovers: async () =>
        Number(
          (
            await db.sql.query<{ n: string }>(
              `select (select count(*) from inbox_blob_uploads)
                 + (select count(*) from inbox_blob_chunks c
                    where not exists (select 1 from inbox_blobs b where b.upload_id = c.upload_id)) as n`,
            )
          )[0].n,
        ),
      lagBytes: 2 * MiB,
      dispose: () => db.dispose(),
    };
  },
});

const filesystemTarget = {
  name: 'filesystem',
  async create(): Promise<BlobTarget> {
    const dir = await mkdtemp(join(tmpdir(), 'blobs-'));
    const root = join(dir, 'root');
    const files = async (): Promise<string[]> =>
      (await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []))
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name));
    return {
      store: new FilesystemBlobStore(root),
      backdate: (key, when) => utimes(join(root, key), when, when),
      storedBytes: async () =>
        (await Promise.all((await files()).map((f) => stat(f).then((s) => s.size)))).reduce((a, b) => a + b, 0),
      leftovers: async () => (await readdir(join(root, '.tmp')).catch(() => [])).length,
      lagBytes: 1 * MiB,
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

const s3Target = {
  name: 's3 (real SDK, loopback S3)',
  async create(): Promise<BlobTarget> {
    const server = new FakeS3Server([BUCKET]);
    const endpoint = await server.start();
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      maxAttempts: 1,
    });
    const keyPrefix = 'inbox-blobs/';
    return {
      store: new S3BlobStore(client, { bucket: BUCKET, keyPrefix, pageSize: 2 }),
      backdate: async (key, when) => {
        const object = server.s3.objects.get(`${BUCKET}/${keyPrefix}${key}`);
        if (!object) throw new Error(`no object ${key}`);
        object.lastModified = when;
      },
      storedBytes: () => Promise.resolve(server.s3.receivedBytes),
      leftovers: () => Promise.resolve(server.s3.uploads.size),
      // lib-storage fills a 5 MiB part, with up to 2 in flight.
      lagBytes: 16 * MiB,
      dispose: async () => {
        client.destroy();
        await server.stop();
      },
    };
  },
};

/** Supabase Storage through supabase-js's Storage client, against the loopback Supabase (no database needed). */
const supabaseStorageTarget = {
  name: 'supabase (real supabase-js, loopback Storage)',
  async create(): Promise<BlobTarget> {
    const server = new FakeSupabaseServer(undefined);
    const url = await server.start();
    const client = createSupabaseClient(
      { url, serviceRoleKey: server.serviceRoleKey, requestTimeoutMs: 30_000 },
      { boundRequests: false },
    );
    const store = new SupabaseBlobStore(client.storage, {
      bucket: 'doc-inbox',
      fileSizeLimit: 64 * MiB,
      pageSize: 2,
    });
    await store.ensureBucket();
    return {
      store,
      backdate: (key, when) => utimes(server.objectPath('doc-inbox', key), when, when),
      storedBytes: () => server.storedBytes(),
      leftovers: () => server.pendingUploads(),
      // fetch's buffers and the loopback socket's (the kernel grows them to a few MiB) before the
      // server's file: the driver itself holds one chunk. Still far below the 30 MB body.
      lagBytes: 8 * MiB,
      dispose: () => server.stop(),
    };
  },
};

const targets = [
  databaseTarget('pglite'),
  ...(process.env.TEST_DATABASE_URL ? [databaseTarget('postgres')] : []),
  filesystemTarget,
  s3Target,
  supabaseStorageTarget,
];

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const key = (position = 0, tenant = 'acme', job = randomUUID()): string => blobKeyFor(tenant, job, position);

async function hashStream(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe.each(targets)('BlobStore contract: $name', (factory) => {
  let t: BlobTarget;
  beforeEach(async () => {
    t = await factory.create();
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('stores a body and gives it back, with its sha256 and size', async () => {
    const bytes = randomBytes(300 * 1024);
    const k = key();
    const stored = await t.store.put(k, Readable.from([bytes]), { contentType: 'application/pdf' });
    expect(stored).toEqual({ key: k, size: bytes.length, sha256: sha256(bytes) });
    expect(await t.store.exists(k)).toBe(true);
    expect((await readBlob(t.store, k)).equals(bytes)).toBe(true);
  });

  it('stores an empty body', async () => {
    const k = key();
    const stored = await t.store.put(k, Readable.from([]));
    expect(stored).toEqual({ key: k, size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect((await readBlob(t.store, k)).length).toBe(0);
  });

  it('streams a 30 MB body in and out without holding it whole', async () => {
    const total = 30 * 1000 * 1000;
    const piece = 64 * 1024;
    const expected = createHash('sha256');
    let storedWhenLastPieceSent = -1;
    const storedBytes = t.storedBytes.bind(t);
    async function* body(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < total; sent += piece) {
        const size = Math.min(piece, total - sent);
        const chunk = Buffer.alloc(size, (sent / piece) % 251);
        chunk.writeUInt32BE(sent, 0);
        expected.update(chunk);
        // The backend must already hold nearly everything sent so far: the driver streams.
        if (sent + size === total) storedWhenLastPieceSent = await storedBytes();
        yield chunk;
      }
    }
    const k = key();
    const stored = await t.store.put(k, Readable.from(body()));
    expect(stored).toEqual({ key: k, size: total, sha256: expected.digest('hex') });
    expect(storedWhenLastPieceSent).toBeGreaterThanOrEqual(total - t.lagBytes);
    expect(await hashStream(await t.store.get(k))).toEqual({ size: total, sha256: stored.sha256 });
  }, 120_000);

  it('overwrites a key with the new body', async () => {
    const k = key();
    await t.store.put(k, Readable.from([Buffer.from('first version, longer than the second')]));
    const stored = await t.store.put(k, Readable.from([Buffer.from('second')]));
    expect(stored.size).toBe(6);
    expect((await readBlob(t.store, k)).toString()).toBe('second');
    expect(await t.leftovers()).toBe(0);
  });

  it('settles two puts of one key at once on one of them, leaving nothing of the other', async () => {
    const k = key();
    const a = Buffer.alloc(3 * MiB, 0x61);
    const b = Buffer.alloc(2 * MiB + 3, 0x62);
    await Promise.all([t.store.put(k, Readable.from([a])), t.store.put(k, Readable.from([b]))]);
    const read = await readBlob(t.store, k);
    expect(read.equals(a) || read.equals(b)).toBe(true);
    expect(await t.leftovers()).toBe(0);
  });

  it('answers BlobNotFound for a missing key, false from exists, and deletes it without complaint', async () => {
    const k = key();
    await expect(t.store.get(k)).rejects.toBeInstanceOf(BlobNotFound);
    await expect(t.store.get(k)).rejects.toThrow(k);
    expect(await t.store.exists(k)).toBe(false);
    await expect(t.store.delete([k])).resolves.toBeUndefined();
    await expect(t.store.delete([])).resolves.toBeUndefined();
  });

  it('deletes many keys at once, leaving the others', async () => {
    const job = randomUUID();
    const keys = [0, 1, 2, 3, 4].map((p) => key(p, 'acme', job));
    for (const k of keys) await t.store.put(k, Readable.from([Buffer.from(k)]));
    await t.store.delete([keys[0], keys[2], keys[4], key(9, 'acme', job)]);
    expect(await Promise.all(keys.map((k) => t.store.exists(k)))).toEqual([false, true, false, true, false]);
    expect((await readBlob(t.store, keys[1])).toString()).toBe(keys[1]);
  });

  it('lists blobs by prefix and age, across pages', async () => {
    const job = randomUUID();
    const old = new Date(Date.now() - 2 * 3600_000);
    const keys = {
      a0: key(0, 'tenant-a', job),
      a1: key(1, 'tenant-a', job),
      a2: key(2, 'tenant-a', job),
      b0: key(0, 'tenant-b', job),
      ab0: key(0, 'tenant-ab', job),
    };
    for (const k of Object.values(keys)) await t.store.put(k, Readable.from([Buffer.from('x')]));
    for (const k of [keys.a0, keys.a2, keys.b0, keys.ab0]) await t.backdate(k, old);
    const hourAgo = new Date(Date.now() - 3600_000);

    const stale = await collect(t.store.list({ before: hourAgo }));
    expect(stale.map((b) => b.key).sort()).toEqual([keys.a0, keys.a2, keys.ab0, keys.b0].sort());
    for (const b of stale) expect(Math.abs(b.lastModified.getTime() - old.getTime())).toBeLessThan(2000);

    const staleOfA = await collect(t.store.list({ prefix: 'tenant-a/', before: hourAgo }));
    expect(staleOfA.map((b) => b.key).sort()).toEqual([keys.a0, keys.a2].sort());

    const allOfA = await collect(t.store.list({ prefix: 'tenant-a/', before: new Date(Date.now() + 60_000) }));
    expect(allOfA.map((b) => b.key).sort()).toEqual([keys.a0, keys.a1, keys.a2].sort());

    // A partial segment is a plain string prefix, as in S3.
    const partial = await collect(t.store.list({ prefix: 'tenant-a', before: hourAgo }));
    expect(partial.map((b) => b.key).sort()).toEqual([keys.a0, keys.a2, keys.ab0].sort());
  });

  it('leaves nothing behind when a put is aborted mid-body, and keeps the blob it would have replaced', async () => {
    const k = key();
    await t.store.put(k, Readable.from([Buffer.from('the old bytes')]));
    const controller = new AbortController();
    let sent = 0;
    async function* body(): AsyncGenerator<Buffer> {
      for (;;) {
        sent += MiB;
        if (sent > 12 * MiB) controller.abort(new Error('client went away'));
        yield randomBytes(MiB);
        await new Promise((r) => setImmediate(r));
      }
    }
    await expect(t.store.put(k, Readable.from(body()), { signal: controller.signal })).rejects.toThrow();
    expect((await readBlob(t.store, k)).toString()).toBe('the old bytes');
    await waitFor(async () => (await t.leftovers()) === 0);
    expect(await t.leftovers()).toBe(0);
  }, 60_000);

  it('leaves nothing behind when the body fails mid-way', async () => {
    const k = key();
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 7; i++) yield randomBytes(MiB);
      throw new Error('connection reset by peer');
    }
    await expect(t.store.put(k, Readable.from(body()))).rejects.toThrow('connection reset by peer');
    expect(await t.store.exists(k)).toBe(false);
    await waitFor(async () => (await t.leftovers()) === 0);
    expect(await t.leftovers()).toBe(0);
  }, 60_000);

  it.each([
    '../escape',
    'acme/../../etc/passwd',
    '/etc/passwd',
    'acme//x',
    'acme\\x',
    '.tmp/x',
    'acme/./x',
    'a\0b',
    '',
    'acme/x/',
    'x'.repeat(600),
  ])('refuses the key %# everywhere', async (bad) => {
    await expect(t.store.put(bad, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidBlobKey);
    await expect(t.store.get(bad)).rejects.toBeInstanceOf(InvalidBlobKey);
    await expect(t.store.exists(bad)).rejects.toBeInstanceOf(InvalidBlobKey);
    await expect(t.store.delete([key(), bad])).rejects.toBeInstanceOf(InvalidBlobKey);
    expect(await t.storedBytes()).toBe(0);
  });

  it('refuses a listing prefix that tries to escape', async () => {
    await expect(collect(t.store.list({ prefix: '../', before: new Date() }))).rejects.toBeInstanceOf(InvalidBlobKey);
  });
});

describe('blobKeyFor', () => {
  const job = '0b6f3a8e-6a52-4f1e-9d0c-8f1a2b3c4d5e';
  it('builds tenant/job/position', () => {
    expect(blobKeyFor('default', job, 3)).toBe(`default/${job}/3`);
  });
  it.each(['../evil', 'a/b', '.hidden', '', 'a b', 'x'.repeat(65), 'a\\b'])('refuses the tenant id %j', (tenant) => {
    expect(() => blobKeyFor(tenant, job, 0)).toThrow(InvalidBlobKey);
  });
  it('refuses a job id that is not a UUID and a bad position', () => {
    expect(() => blobKeyFor('t', '../x', 0)).toThrow(InvalidBlobKey);
    expect(() => blobKeyFor('t', job, -1)).toThrow(InvalidBlobKey);
    expect(() => blobKeyFor('t', job, 1.5)).toThrow(InvalidBlobKey);
  });
});

describe('DatabaseBlobStore rows', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await databaseTargets()[0].create();
  });
  afterAll(() => db.dispose());

  it('stores a body as 1 MiB chunks and drops the chunks of the blob it overwrites', async () => {
    const store = new DatabaseBlobStore(new SqlDbFunctions(db.sql));
    const k = key();
    await store.put(k, Readable.from([randomBytes(3 * MiB + 5)]));
    await store.put(k, Readable.from([randomBytes(2 * MiB)]));
    const rows = await db.sql.query<{ seq: number; n: number }>(
      'select c.seq, length(c.bytes) as n from inbox_blob_chunks c order by c.seq',
    );
    expect(rows).toEqual([
      { seq: 0, n: MiB },
      { seq: 1, n: MiB },
    ]);
  });
});

describe('S3BlobStore errors', () => {
  let server: FakeS3Server;
  let store: S3BlobStore;
  let client: S3Client;
  beforeAll(async () => {
    server = new FakeS3Server([BUCKET]);
    const endpoint = await server.start();
    client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      maxAttempts: 1,
    });
    store = new S3BlobStore(client, { bucket: BUCKET, keyPrefix: 'p/' });
  });
  afterAll(async () => {
    client.destroy();
    await server.stop();
  });

  it('says the credentials or bucket are wrong when S3 refuses them, without the secret', async () => {
    server.s3.refusals.push({ operation: 'PutObject', status: 403, code: 'AccessDenied', message: 'Access Denied' });
    const error = await store.put(key(), Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
    server.s3.refusals.length = 0;
    expect(error).toBeInstanceOf(BlobStoreUnavailable);
    expect((error as Error).message).toMatch(
      /S3 refused our credentials or configuration.*S3_BUCKET \(bucket blobs-test\).*AccessDenied/,
    );
    expect((error as Error).message).not.toContain('test-secret');
  });

  it('names a missing bucket', async () => {
    const other = new S3BlobStore(client, { bucket: 'no-such-bucket', keyPrefix: 'p/' });
    await expect(other.get(key())).rejects.toThrow(/NoSuchBucket/);
    await expect(other.get(key())).rejects.toBeInstanceOf(BlobStoreUnavailable);
  });

  it('lists only addressable keys under its own prefix', async () => {
    const mine = key(0, 'listing');
    await store.put(mine, Readable.from([Buffer.from('x')]));
    const at = new Date(Date.now() - 2 * 3600_000);
    for (const foreign of ['other-app/listing/a', 'p/listing/has space', 'p/.hidden']) {
      server.s3.objects.set(`${BUCKET}/${foreign}`, { bytes: Buffer.from('y'), lastModified: at, etag: 'e' });
    }
    server.s3.objects.get(`${BUCKET}/p/${mine}`)!.lastModified = at;
    const listed = [];
    for await (const blob of store.list({ before: new Date() })) listed.push(blob.key);
    expect(listed).toEqual([mine]);
  });

  it('deletes in batches of 1000', async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => key(i, 'bulk', '0b6f3a8e-6a52-4f1e-9d0c-8f1a2b3c4d5e'));
    const before = server.s3.requests.length;
    await store.delete(keys);
    const calls = server.s3.requests.slice(before).filter((r) => r.operation === 'DeleteObjects');
    expect(calls).toHaveLength(3);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !(await condition())) await new Promise((r) => setTimeout(r, 20));
}

describe('SupabaseBlobStore bucket and errors', () => {
  let server: FakeSupabaseServer;
  let url: string;
  const storageOf = (key: string) =>
    createSupabaseClient({ url, serviceRoleKey: key, requestTimeoutMs: 30_000 }, { boundRequests: false }).storage;
  beforeEach(async () => {
    server = new FakeSupabaseServer(undefined);
    url = await server.start();
  });
  afterEach(() => server.stop());

  it('creates its bucket private, with the upload limit as file size limit, once', async () => {
    const store = new SupabaseBlobStore(storageOf(server.serviceRoleKey), {
      bucket: 'doc-inbox',
      fileSizeLimit: 5 * MiB,
    });
    expect(await store.ensureBucket()).toBe('created');
    expect(server.buckets.get('doc-inbox')).toMatchObject({ public: false, file_size_limit: 5 * MiB });
    expect(await store.ensureBucket()).toBe('exists');
    // Storage enforces the limit: an upload above it is refused and leaves nothing.
    const k = key();
    await expect(store.put(k, Readable.from([Buffer.alloc(6 * MiB)]))).rejects.toBeInstanceOf(BlobStoreUnavailable);
    expect(await store.exists(k)).toBe(false);
    // The server drops its temporary file after the connection is cut, which the client may see
    // first: wait for it (bounded) rather than race it.
    await waitFor(async () => (await server.pendingUploads()) === 0, 2000);
    expect(await server.pendingUploads()).toBe(0);
  });

  it('refuses a public bucket: uploaded documents would be readable by anyone', async () => {
    await storageOf(server.serviceRoleKey).createBucket('open', { public: true });
    const store = new SupabaseBlobStore(storageOf(server.serviceRoleKey), { bucket: 'open', fileSizeLimit: MiB });
    await expect(store.ensureBucket()).rejects.toThrow(/bucket open is public/);
  });

  it('says the key was refused, without the key', async () => {
    const wrong = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.forged-signature';
    const store = new SupabaseBlobStore(storageOf(wrong), { bucket: 'doc-inbox', fileSizeLimit: MiB });
    const error = (await store.ensureBucket().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(BlobStoreUnavailable);
    expect(error.message).toMatch(/refused SUPABASE_SERVICE_ROLE_KEY/);
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain('forged-signature');
  });

  it('keeps objects from the anon key: it can neither read nor write them', async () => {
    const store = new SupabaseBlobStore(storageOf(server.serviceRoleKey), { bucket: 'doc-inbox', fileSizeLimit: MiB });
    await store.ensureBucket();
    const k = key();
    await store.put(k, Readable.from([Buffer.from('private bytes')]));
    const anon = new SupabaseBlobStore(storageOf(server.anonKey), { bucket: 'doc-inbox', fileSizeLimit: MiB });
    await expect(anon.get(k)).rejects.toBeInstanceOf(BlobNotFound);
    await expect(anon.put(key(), Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(BlobStoreUnavailable);
    const { data } = await storageOf(server.anonKey).from('doc-inbox').download(k);
    expect(data).toBeNull();
    expect((await readBlob(store, k)).toString()).toBe('private bytes');
  });
});
