import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppConfig } from '../../src/config/app-config';
import { openDatabase } from '../../src/database/open-database';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import {
  assertBuilt,
  freePort,
  spawnEntrypoint,
  startTcpProxy,
  type EntrypointProcess,
} from '../support/entrypoint-process';
import { startTestApp, waitForJob, type TestApp } from '../support/test-app';

const running: EntrypointProcess[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-db-boot-'));
  dirs.push(dir);
  return dir;
}

function spawn(which: 'server' | 'worker' | 'migrate', env: Record<string, string>): EntrypointProcess {
  const p = spawnEntrypoint(which, { DATA_DIR: tempDir(), LOG_LEVEL: 'info', ...env });
  running.push(p);
  return p;
}

/** stderr's lines, and no stack frame anywhere in the output. */
function expectNoStackTrace(p: EntrypointProcess): string[] {
  const all = [p.stderr(), ...p.otherStdout, ...p.lines.map((l) => l.msg)].join('\n');
  expect(all).not.toMatch(/^\s+at /m);
  return p
    .stderr()
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** GET a URL, or the error's code when nothing answers. */
async function get(url: string): Promise<number | string> {
  try {
    return (await fetch(url)).status;
  } catch (err) {
    return ((err as Error).cause as { code?: string } | undefined)?.code ?? 'failed';
  }
}

beforeAll(() => assertBuilt());
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await p.exited;
  }
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a server whose database does not answer', () => {
  it('retries with a line per try, then gives up with one line and exit code 1', async () => {
    const server = spawn('server', {
      DATABASE_URL: `postgres://nobody@127.0.0.1:${await freePort()}/none`,
      DATABASE_BOOT_TIMEOUT_SECONDS: '2',
    });
    expect(await server.exited).toBe(1);
    const retries = server.lines.filter((l) => /^DATABASE_URL unreachable \(try \d+\)/.test(l.msg));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.map((l) => Number(/try (\d+)/.exec(l.msg)![1]))).toEqual(retries.map((_, i) => i + 1));
    expect(retries.every((l) => l.level === 40 && l.role === 'server' && l.context === 'Database')).toBe(true);
    expect(retries[0].msg).toMatch(/: connect ECONNREFUSED 127\.0\.0\.1:\d+; next try in \d\.\d s$/);
    const stderr = expectNoStackTrace(server);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(
      new RegExp(
        `^Doc Inbox cannot start: cannot open DATABASE_URL: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+ ` +
          `\\(gave up after ${retries.length + 1} tries in \\d+ s, DATABASE_BOOT_TIMEOUT_SECONDS\\)$`,
      ),
    );
  }, 30_000);

  it('with DATABASE_BOOT_TIMEOUT_SECONDS=0 tries once', async () => {
    const server = spawn('server', {
      DATABASE_URL: `postgres://nobody@127.0.0.1:${await freePort()}/none`,
      DATABASE_BOOT_TIMEOUT_SECONDS: '0',
    });
    expect(await server.exited).toBe(1);
    expect(server.lines.filter((l) => /unreachable/.test(l.msg))).toEqual([]);
    expect(expectNoStackTrace(server)).toEqual([
      expect.stringMatching(/cannot open DATABASE_URL: connect ECONNREFUSED .*\(gave up after 1 try in \d+ s/),
    ]);
  }, 30_000);
});

describe('`npm run migrate` and a worker with a limit, against a closed port', () => {
  it.each([
    ['migrate', { DATABASE_BOOT_TIMEOUT_SECONDS: '1' }, 'DATABASE_BOOT_TIMEOUT_SECONDS'],
    ['worker', { WORKER_DATABASE_BOOT_TIMEOUT_SECONDS: '1' }, 'WORKER_DATABASE_BOOT_TIMEOUT_SECONDS'],
  ] as const)(
    '%s gives up in one line naming its limit',
    async (which, env, setting) => {
      const p = spawn(which, { DATABASE_URL: `postgres://nobody@127.0.0.1:${await freePort()}/none`, ...env });
      expect(await p.exited).toBe(1);
      expect(p.lines.filter((l) => /^DATABASE_URL unreachable \(try 1\)/.test(l.msg))).toHaveLength(1);
      expect(expectNoStackTrace(p)).toEqual([
        expect.stringMatching(
          new RegExp(`^Doc Inbox cannot start: cannot open DATABASE_URL: .*in \\d+ s, ${setting}\\)$`),
        ),
      ]);
    },
    30_000,
  );
});

describe('MIGRATE_ON_BOOT=false on the embedded database', () => {
  it('refuses to start while migrations are missing, naming the command; starts once `npm run migrate` ran', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = { DATA_DIR: dataDir, MIGRATE_ON_BOOT: 'false', PORT: String(port) };
    const refused = spawn('server', env);
    expect(await refused.exited).toBe(1);
    expect(expectNoStackTrace(refused)).toEqual([
      expect.stringMatching(
        /^Doc Inbox cannot start: the database lacks \d+ migrations \(20261128000000_jobs\.sql, .*\) and MIGRATE_ON_BOOT=false: apply them with `npm run migrate`$/,
      ),
    ]);

    const migrate = spawn('migrate', { DATA_DIR: dataDir });
    expect(await migrate.exited).toBe(0);
    expect(migrate.lines.map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/^applied migrations: 20261128000000_jobs/),
    );

    const server = spawn('server', env);
    await server.waitForLine(/^Doc Inbox listening/, 90_000);
    expect(server.lines.map((l) => l.msg)).toContain('schema is up to date (MIGRATE_ON_BOOT=false: not migrating)');
    expect(await get(`http://127.0.0.1:${port}/health/ready`)).toBe(200);
  }, 180_000);
});

const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL)
  console.warn('[postgres] TEST_DATABASE_URL is not set: database boot tests on PostgreSQL skipped');

describePostgres('booting against PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let admin: Client;
  beforeEach(async () => {
    db = await createPostgresDatabase();
    admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
  });
  afterEach(async () => {
    await admin.end();
    await db.drop();
  });

  const applicationNames = async () =>
    (
      await admin.query<{ application_name: string }>(
        'select distinct application_name from pg_stat_activity where datname = $1 order by 1',
        [new URL(db.url).pathname.slice(1)],
      )
    ).rows.map((r) => r.application_name);

  it('MIGRATE_ON_BOOT=false refuses an unmigrated database with one line naming both commands; /health/ready never answers', async () => {
    const port = await freePort();
    const server = spawn('server', { DATABASE_URL: db.url, MIGRATE_ON_BOOT: 'false', PORT: String(port) });
    expect(await server.exited).toBe(1);
    expect(expectNoStackTrace(server)).toEqual([
      expect.stringMatching(
        /^Doc Inbox cannot start: the database lacks \d+ migrations \(.*\) and MIGRATE_ON_BOOT=false: apply them with `npm run migrate` or `npx supabase db push --db-url "\$DATABASE_URL"`$/,
      ),
    ]);
    expect(await get(`http://127.0.0.1:${port}/health/ready`)).toBe('ECONNREFUSED');
    // Nothing was applied: the check only reads.
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query<{ t: string | null }>(`select to_regclass('inbox_jobs')::text as t`);
    await c.end();
    expect(rows[0].t).toBeNull();
  }, 60_000);

  it('names its connections doc-inbox-server (and doc-inbox-migrate, or DATABASE_APPLICATION_NAME)', async () => {
    const port = await freePort();
    const server = spawn('server', { DATABASE_URL: db.url, PORT: String(port) });
    await server.waitForLine(/^Doc Inbox listening/);
    expect(server.lines.map((l) => l.msg)).toContain('using PostgreSQL (DATABASE_URL) as doc-inbox-server');
    expect(await get(`http://127.0.0.1:${port}/health/ready`)).toBe(200);
    expect(await applicationNames()).toContain('doc-inbox-server');

    for (const [env, name] of [
      [{}, 'doc-inbox-migrate'],
      [{ DATABASE_APPLICATION_NAME: 'inbox-deploy-42' }, 'inbox-deploy-42'],
    ] as const) {
      const config = AppConfig.fromEnvironment({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env });
      const sql = await openDatabase(config, {
        role: 'migrate',
        logger: { log: () => undefined, warn: () => undefined },
      });
      try {
        const [row] = await sql.query<{ name: string }>(`select current_setting('application_name') as name`);
        expect(row.name).toBe(name);
      } finally {
        await sql.close();
      }
    }
  }, 90_000);

  describe('a worker started before its database', () => {
    let proxy: Server | undefined;
    let api: TestApp | undefined;
    afterEach(async () => {
      await api?.close();
      await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
      proxy = api = undefined;
    });

    it('waits, a line per try, and works once the database answers', async () => {
      const real = new URL(db.url);
      const viaProxy = new URL(db.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(await freePort());
      const worker = spawn('worker', {
        DATABASE_URL: viaProxy.toString(),
        WORKER_POLL_INTERVAL_SECONDS: '0.5',
        WORKER_CONCURRENCY: '1',
        OCR_WORKERS: '1',
      });
      await worker.waitForLine(/^DATABASE_URL unreachable \(try 3\)/, 30_000);
      expect(worker.proc.exitCode).toBeNull();

      // The API (in this process, straight to PostgreSQL) takes a job while the worker still waits.
      api = await startTestApp({ env: { DATABASE_URL: db.url }, roles: { http: true, worker: false } });
      const created = await api.http
        .post('/classify-documents-async')
        .attach(
          'files',
          Buffer.from('INVOICE No. 7\nAmount due: 120.00 EUR\nVAT 20 %\nPayment terms: 30 days'),
          'invoice.txt',
        )
        .expect(202);

      proxy = await startTcpProxy(Number(viaProxy.port), { host: real.hostname, port: Number(real.port || 5432) });
      await worker.waitForLine(/^using PostgreSQL \(DATABASE_URL\) as doc-inbox-worker$/, 30_000);
      const job = await waitForJob(api, created.body.job_id as string, 60_000);
      expect(job.status).toBe('completed');
      expect(job.result.documents[0]).toMatchObject({ status: 'completed', error: null });

      const retries = worker.lines.filter((l) => /^DATABASE_URL unreachable/.test(l.msg));
      expect(retries.length).toBeGreaterThanOrEqual(3);
      expect(retries.every((l) => l.role === 'worker' && !l.msg.includes('\n'))).toBe(true);
      expect(expectNoStackTrace(worker)).toEqual([]);
      expect(await applicationNames()).toContain('doc-inbox-worker');
    }, 120_000);
  });
});
