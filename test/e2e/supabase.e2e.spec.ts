import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgSqlClient } from '../../src/database/pg-sql.client';
import { createSupabaseClient } from '../../src/supabase/supabase-client';
import { SupabaseDbFunctions } from '../../src/supabase/supabase-db-functions';
import { RUN_THE_MIGRATION } from '../../src/supabase/supabase-errors';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { assertBuilt, freePort, ROOT, spawnEntrypoint, type EntrypointProcess } from '../support/entrypoint-process';
import { ensureSupabaseRoles, FakeSupabaseServer, signSupabaseKey } from '../support/fake-supabase.server';
import { textImagePng } from '../support/ocr-fixtures';

const CLI = join(ROOT, 'node_modules', '.bin', 'supabase');
const HOME = mkdtempSync(join(tmpdir(), 'doc-inbox-supabase-e2e-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!TEST_DATABASE_URL) console.warn('[postgres] TEST_DATABASE_URL is not set: the Supabase set-up test is skipped');
else if (!existsSync(CLI)) console.warn(`[supabase] no Supabase CLI at ${CLI} (npm ci installs it): skipped`);
const describeWithCli = TEST_DATABASE_URL && existsSync(CLI) ? describe : describe.skip;

function supabaseCli(args: string[]) {
  const run = spawnSync(CLI, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

const cliUrl = (url: string) => {
  const u = new URL(url);
  u.searchParams.set('sslmode', 'disable');
  return u.toString();
};

interface JobJson {
  job_id: string;
  status: string;
  attempts: number;
  crashes: number;
  processed_files: number;
  result: { documents: Array<{ status: string; document_type: string | null; position: number }> };
}

/**
 * The seed's set-up, as a new user follows it, with the loopback Supabase standing in for the
 * project: `supabase db push` applies the migrations to a database with Supabase's roles; the
 * server and two workers start with only SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (real
 * processes, supabase-js over HTTP); uploads are classified, their bytes sit in Storage, the anon
 * key sees nothing, and a worker killed mid-job loses nothing.
 */
describeWithCli('the seed’s Supabase set-up: only SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY', () => {
  let db: { url: string; drop(): Promise<void> };
  let supabase: FakeSupabaseServer;
  let sql: PgSqlClient;
  let base: string;
  let server: EntrypointProcess;
  const processes: EntrypointProcess[] = [];
  const settings = () => ({ SUPABASE_URL: supabase.url, SUPABASE_SERVICE_ROLE_KEY: supabase.serviceRoleKey });

  beforeAll(async () => {
    assertBuilt();
    await ensureSupabaseRoles(TEST_DATABASE_URL!);
    db = await createPostgresDatabase();
    sql = new PgSqlClient({ connectionString: db.url, max: 2 });
    supabase = new FakeSupabaseServer(db.url);
    await supabase.start();
  });
  afterAll(async () => {
    for (const p of processes) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await supabase?.stop();
    await sql?.close();
    await db?.drop();
    rmSync(HOME, { recursive: true, force: true });
  });

  const worker = () => {
    const w = spawnEntrypoint('worker', {
      ...settings(),
      LOG_LEVEL: 'info',
      WORKER_POLL_INTERVAL_SECONDS: '0.5',
      JOB_LEASE_SECONDS: '5',
      WORKER_CONCURRENCY: '1',
      OCR_WORKERS: '1',
    });
    processes.push(w);
    return w;
  };
  const getJob = async (id: string) => (await (await fetch(`${base}/job/${id}`)).json()) as JobJson;
  async function upload(files: Array<{ name: string; type: string; bytes: Uint8Array }>): Promise<string> {
    const form = new FormData();
    for (const f of files) form.append('files', new Blob([Buffer.from(f.bytes)], { type: f.type }), f.name);
    const res = await fetch(`${base}/classify-documents-async`, { method: 'POST', body: form });
    expect(res.status).toBe(202);
    return ((await res.json()) as { job_id: string }).job_id;
  }
  async function finished(id: string, timeoutMs = 150_000): Promise<JobJson> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const job = await getJob(id);
      if (['completed', 'failed', 'cancelled'].includes(job.status)) return job;
      if (Date.now() > end) throw new Error(`job ${id} still ${job.status}`);
      await sleep(200);
    }
  }

  it('`supabase db push --db-url` applies the migrations; the server boots on them through supabase-js', async () => {
    const push = supabaseCli(['db', 'push', '--db-url', cliUrl(db.url), '--yes']);
    expect(push.status).toBe(0);
    expect(push.output).toContain('Applying migration 20261201000400_supabase_security.sql');
    supabase.reloadSchema(); // as PostgREST does on the migration's NOTIFY pgrst

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawnEntrypoint('server', { ...settings(), PORT: String(port), LOG_LEVEL: 'info' });
    processes.push(server);
    await server.waitForLine(/^Doc Inbox listening/);
    const messages = server.lines.map((l) => l.msg).join('\n');
    expect(messages).toContain(`using Supabase at ${supabase.url} (supabase-js RPC)`);
    expect(messages).toContain('created the private Supabase Storage bucket doc-inbox');
    expect(messages).not.toContain(supabase.serviceRoleKey);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    expect(supabase.buckets.get('doc-inbox')).toMatchObject({ public: false, file_size_limit: 25 * 1024 * 1024 });
  }, 120_000);

  it('two workers classify uploads; the bytes sit in Storage, not in the database', async () => {
    const w1 = worker();
    const w2 = worker();
    await Promise.all([w1, w2].map((w) => w.waitForLine(/^Worker Process Starting/)));
    expect(w1.lines.map((l) => l.msg).join('\n')).toMatch(/polling only/);
    const texts = [
      'INVOICE No. 4711\nBill to: ACME GmbH\nAmount due: 120.00 EUR\nPayment terms: 30 days\nVAT 19%',
      'RECEIPT\nCASH PAID 12.50\nTHANK YOU FOR SHOPPING\nChange 0.00',
    ];
    const id = await upload(texts.map((t, i) => ({ name: `doc-${i}.txt`, type: 'text/plain', bytes: Buffer.from(t) })));
    const job = await finished(id);
    expect(job.status).toBe('completed');
    expect(job.result.documents.map((d) => d.status)).toEqual(['completed', 'completed']);
    expect(job.result.documents.every((d) => typeof d.document_type === 'string')).toBe(true);

    expect(await supabase.objectKeys('doc-inbox')).toEqual(
      expect.arrayContaining([`default/${id}/0`, `default/${id}/1`]),
    );
    expect(readFileSync(supabase.objectPath('doc-inbox', `default/${id}/0`), 'utf8')).toBe(texts[0]);
    const [{ n }] = await sql.query<{ n: number }>('select count(*)::int as n from inbox_blobs');
    expect(n).toBe(0);

    // The anon key (the one a browser would hold) can read none of it.
    const anon = new SupabaseDbFunctions(
      createSupabaseClient({ url: supabase.url, serviceRoleKey: supabase.anonKey, requestTimeoutMs: 10_000 }),
    );
    await expect(anon.call('inbox_get_job', { p_tenant: 'default', p_id: id })).rejects.toMatchObject({
      code: '42501',
      status: 401,
    });
    const { data } = await createSupabaseClient(
      { url: supabase.url, serviceRoleKey: supabase.anonKey, requestTimeoutMs: 10_000 },
      { boundRequests: false },
    )
      .storage.from('doc-inbox')
      .download(`default/${id}/0`);
    expect(data).toBeNull();

    // A refused upload (the second file is junk) leaves nothing in Storage, not even the first file.
    const before = await supabase.objectKeys('doc-inbox');
    const form = new FormData();
    form.append('files', new Blob([Buffer.from(texts[1])], { type: 'text/plain' }), 'fine.txt');
    form.append('files', new Blob([Buffer.from([0, 1, 2, 3, 255, 0, 7])]), 'x.bin');
    expect((await fetch(`${base}/classify-documents-async`, { method: 'POST', body: form })).status).toBe(415);
    expect(await supabase.objectKeys('doc-inbox')).toEqual(before);
    expect(await supabase.pendingUploads()).toBe(0);

    // Deleting the job removes its objects.
    expect((await fetch(`${base}/job/${id}`, { method: 'DELETE' })).status).toBeLessThan(300);
    expect((await supabase.objectKeys('doc-inbox')).filter((k) => k.includes(id))).toEqual([]);
  }, 180_000);

  it('a worker killed mid-job loses nothing: the other finishes it after the lease runs out', async () => {
    const scans = Array.from({ length: 3 }, (_, i) => ({
      name: `scan-${i}.png`,
      type: 'image/png',
      bytes: textImagePng(
        Array.from({ length: 30 }, (_, n) => `RECEIPT ${i + 1} LINE ${n} CASH PAID 12.50 THANK YOU`),
        2000,
      ),
    }));
    const id = await upload(scans);
    let holder: string | null = null;
    for (let i = 0; i < 600; i++) {
      const [row] = await sql.query<{ locked_by: string | null; processed: number }>(
        'select locked_by, processed_documents as processed from inbox_jobs where id = $1',
        [id],
      );
      if (row.locked_by && row.processed >= 1) {
        holder = row.locked_by;
        break;
      }
      await sleep(100);
    }
    expect(holder).not.toBeNull();
    const pid = Number(holder!.split(':')[1]);
    const victim = processes.find((p) => p.proc.pid === pid);
    expect(victim).toBeDefined();
    victim!.proc.kill('SIGKILL');
    await victim!.exited;
    const job = await finished(id, 240_000);
    expect(job.status).toBe('completed');
    expect(job.crashes).toBe(1);
    expect(job.attempts).toBe(1);
    expect(job.result.documents.map((d) => d.status)).toEqual(['completed', 'completed', 'completed']);
  }, 300_000);

  it('fails /health/ready with what to do when the key stops working, and recovers', async () => {
    supabase.faults.push({
      api: 'rpc',
      fn: 'inbox_ping',
      status: 401,
      body: { code: 'PGRST301', message: 'No suitable key or wrong key type', details: null, hint: null },
    });
    const res = await fetch(`${base}/health/ready`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).toMatch(/Supabase refused SUPABASE_SERVICE_ROLE_KEY/);
    expect(text).not.toContain(supabase.serviceRoleKey);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });

  it('a server with a wrong key, or before the migration, stops at once saying what to do', async () => {
    const wrong = signSupabaseKey('not-this-projects-secret-but-32-chars-long', 'service_role');
    const bad = spawnEntrypoint('server', {
      SUPABASE_URL: supabase.url,
      SUPABASE_SERVICE_ROLE_KEY: wrong,
      PORT: String(await freePort()),
    });
    processes.push(bad);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toMatch(/Doc Inbox cannot start: .*Supabase refused SUPABASE_SERVICE_ROLE_KEY/);
    expect(bad.stderr() + bad.lines.map((l) => l.msg).join('\n')).not.toContain(wrong);

    const empty = await createPostgresDatabase();
    const bare = new FakeSupabaseServer(empty.url);
    await bare.start();
    try {
      const early = spawnEntrypoint('server', {
        SUPABASE_URL: bare.url,
        SUPABASE_SERVICE_ROLE_KEY: bare.serviceRoleKey,
        PORT: String(await freePort()),
      });
      processes.push(early);
      expect(await early.exited).toBe(1);
      expect(early.stderr()).toContain('PGRST202');
      expect(early.stderr()).toContain(RUN_THE_MIGRATION);
    } finally {
      await bare.stop();
      await empty.drop();
    }
  }, 60_000);
});
