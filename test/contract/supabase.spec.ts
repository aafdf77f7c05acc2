import { createServer } from 'node:net';
import { Client } from 'pg';
import { AppConfig } from '../../src/config/app-config';
import { isDatabaseUnavailable } from '../../src/database/unavailable';
import { isDatabaseUnreachable } from '../../src/database/database-errors';
import { Migrator } from '../../src/database/migrator';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { openSupabase } from '../../src/supabase/open-supabase';
import { createSupabaseClient } from '../../src/supabase/supabase-client';
import { SupabaseDbFunctions } from '../../src/supabase/supabase-db-functions';
import { RUN_THE_MIGRATION, SupabaseRequestError } from '../../src/supabase/supabase-errors';
import { createPostgresDatabase, supabaseTarget, type TestDatabase } from '../support/databases';
import { ensureSupabaseRoles, FakeSupabaseServer, signSupabaseKey } from '../support/fake-supabase.server';
import { newJob } from '../support/fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const target = supabaseTarget();
const describeOnPostgres = target ? describe : describe.skip;

const rpcAs = (url: string, key: string, attempts = 4) =>
  new SupabaseDbFunctions(createSupabaseClient({ url, serviceRoleKey: key, requestTimeoutMs: 10_000 }), {
    attempts,
    initialDelayMs: 10,
  });

async function failure(work: Promise<unknown>): Promise<SupabaseRequestError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SupabaseRequestError)) throw new Error(`expected a SupabaseRequestError, got ${String(err)}`);
  return err;
}

/** What the security migration promises, read from the catalog (the same on PGlite and PostgreSQL). */
async function securityReport(query: <T>(sql: string) => Promise<T[]>) {
  const tables = await query<{ relname: string; rls: boolean }>(
    `select c.relname, c.relrowsecurity as rls from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = current_schema() and c.relkind = 'r' and c.relname like 'inbox\\_%' order by 1`,
  );
  const functions = await query<{ name: string; definer: boolean; config: string[] | null; public_execute: boolean }>(
    `select p.oid::regprocedure::text as name, p.prosecdef as definer, p.proconfig as config,
            exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                    where a.grantee = 0 and a.privilege_type = 'EXECUTE') as public_execute
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = current_schema() and p.proname like 'inbox\\_%' order by 1`,
  );
  return { tables, functions };
}

describe('security migration without Supabase roles (PGlite)', () => {
  it('still turns on RLS everywhere and fixes every function: invoker, search_path, no EXECUTE for public', async () => {
    const sql = await PgliteSqlClient.open();
    try {
      await new Migrator(sql).migrate();
      const { tables, functions } = await securityReport((q) => sql.query(q));
      expect(tables.length).toBeGreaterThanOrEqual(9);
      expect(tables.filter((t) => !t.rls)).toEqual([]);
      expect(functions.length).toBeGreaterThan(20);
      expect(functions.filter((f) => f.definer)).toEqual([]);
      expect(functions.filter((f) => !(f.config ?? []).some((c) => c.startsWith('search_path=')))).toEqual([]);
      expect(functions.filter((f) => f.public_execute)).toEqual([]);
      // The owner keeps its rights: the app's own connection still calls them.
      expect(await sql.query('select inbox_ping() as ok')).toEqual([{ ok: 'ok' }]);
    } finally {
      await sql.close();
    }
  });
});

describeOnPostgres('Supabase: roles, grants and row level security', () => {
  let db: TestDatabase;
  let server: FakeSupabaseServer;
  beforeAll(async () => {
    db = await target!.create();
    server = db.supabase!;
  });
  afterAll(() => db.dispose());

  it('grants every function to service_role only, and no table to anon or authenticated', async () => {
    const rows = await db.sql.query<{ name: string; anon: boolean; authenticated: boolean; service: boolean }>(
      `select p.oid::regprocedure::text as name,
              has_function_privilege('anon', p.oid, 'execute') as anon,
              has_function_privilege('authenticated', p.oid, 'execute') as authenticated,
              has_function_privilege('service_role', p.oid, 'execute') as service
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.proname like 'inbox\\_%'`,
    );
    expect(rows.filter((r) => r.anon || r.authenticated)).toEqual([]);
    expect(rows.filter((r) => !r.service).map((r) => r.name)).toEqual(['inbox_secure_objects(text)']);
    const tables = await db.sql.query<{ relname: string; readable: boolean }>(
      `select c.relname, has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select')
                           or has_table_privilege('anon', c.oid, 'insert') as readable
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.relname like 'inbox\\_%'`,
    );
    expect(tables.length).toBeGreaterThanOrEqual(9);
    expect(tables.filter((t) => t.readable)).toEqual([]);
    const policies = await db.sql.query<{ roles: string[] }>(
      `select roles::text[] as roles from pg_policies where tablename like 'inbox\\_%'`,
    );
    expect(policies.flatMap((p) => p.roles).filter((r) => r !== 'service_role')).toEqual([]);
  });

  it('lets the anon key call no function and read no row, while the service role sees the job', async () => {
    const service = rpcAs(server.url, server.serviceRoleKey);
    const created = await new SqlJobStore(service).createJob(newJob(1));
    expect(created.outcome).toBe('created');
    const anon = rpcAs(server.url, server.anonKey);
    const fns = await db.sql.query<{ name: string; args: string[] | null; nargs: number; ndefaults: number }>(
      `select p.proname as name, p.proargnames as args, p.pronargs as nargs, p.pronargdefaults as ndefaults
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.proname like 'inbox\\_%' and p.prokind = 'f'`,
    );
    for (const fn of fns) {
      const required = (fn.args ?? []).slice(0, fn.nargs - fn.ndefaults);
      const args = Object.fromEntries(required.map((a) => [a, null]));
      const err = await failure(anon.call(fn.name, args));
      expect({ fn: fn.name, code: err.code, status: err.status }).toEqual({ fn: fn.name, code: '42501', status: 401 });
    }
    // A user's JWT (authenticated) is refused the same way, with PostgREST's 403.
    const user = rpcAs(server.url, signSupabaseKey(server.jwtSecret, 'authenticated', { sub: 'user-1' }));
    expect(await failure(user.call('inbox_get_job', { p_tenant: 'default', p_id: created.job.id }))).toMatchObject({
      code: '42501',
      status: 403,
      problem: 'unauthorized',
    });
    // Tables: no grant, and row level security with no policy behind it.
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      for (const role of ['anon', 'authenticated']) {
        await client.query('begin');
        await client.query(`set local role ${role}`);
        await expect(client.query('select * from inbox_jobs')).rejects.toMatchObject({ code: '42501' });
        await client.query('rollback');
      }
      // Even with a grant slipped in, RLS shows anon nothing.
      await client.query('begin');
      await client.query('grant select on inbox_jobs to anon');
      await client.query('set local role anon');
      expect((await client.query('select * from inbox_jobs')).rows).toEqual([]);
      await client.query('rollback');
    } finally {
      await client.end();
    }
    expect((await new SqlJobStore(service).getJob('default', created.job.id))?.id).toBe(created.job.id);
  });

  it('retries a statement timeout with backoff until the lock that caused it goes', async () => {
    const service = rpcAs(server.url, server.serviceRoleKey, 6);
    const store = new SqlJobStore(service);
    const created = await store.createJob(newJob(1));
    if (created.outcome !== 'created') throw new Error('expected a new job');
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    server.statementTimeoutMs = 150;
    try {
      await locker.query('begin');
      await locker.query('select 1 from inbox_jobs where id = $1 for update', [created.job.id]);
      const callsBefore = server.calls.length;
      const cancel = store.cancelJob('default', created.job.id);
      await sleep(400);
      await locker.query('commit');
      expect((await cancel)?.status).toBe('cancelled');
      const tries = server.calls.slice(callsBefore).filter((c) => c.fn === 'inbox_cancel_job');
      expect(tries[0].status).toBe(500); // 57014, as PostgREST answers it
      expect(tries.at(-1)?.status).toBe(200);
    } finally {
      server.statementTimeoutMs = undefined;
      await locker.end();
    }
  });

  it('retries a 503 from PostgREST and a 502 from the gateway, but not the function’s own error', async () => {
    const service = rpcAs(server.url, server.serviceRoleKey);
    server.faults.push(
      {
        api: 'rpc',
        fn: 'inbox_ping',
        status: 503,
        body: { code: 'PGRST001', message: 'Database client error', details: null, hint: null },
      },
      {
        api: 'rpc',
        fn: 'inbox_ping',
        status: 502,
        body: { message: 'An invalid response was received from the upstream server' },
      },
    );
    expect(await service.call('inbox_ping', {})).toBe('ok');
    server.faults.push({
      api: 'rpc',
      fn: 'inbox_ping',
      status: 400,
      body: { code: 'P0001', message: 'a raised error', details: null, hint: null },
    });
    const err = await failure(service.call('inbox_ping', {}));
    expect(err).toMatchObject({ code: 'P0001', status: 400, problem: 'failed', message: 'a raised error' });
    expect(server.faults).toEqual([]);
  });

  it('says a wrong key was refused, without the key, and never retries it', async () => {
    const wrong = signSupabaseKey('another-projects-secret-of-at-least-32-chars', 'service_role');
    const err = await failure(rpcAs(server.url, wrong).call('inbox_ping', {}));
    expect(err).toMatchObject({ status: 401, problem: 'unauthorized', unreachable: false });
    expect(err.message).toMatch(/Supabase refused SUPABASE_SERVICE_ROLE_KEY .*service_role key from Project Settings/);
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(err)).not.toContain(wrong.split('.')[2]);
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

describeOnPostgres('Supabase: a project that is not ready', () => {
  const config = (url: string, key: string, extra: Record<string, string> = {}) =>
    AppConfig.fromEnvironment({ SUPABASE_URL: url, SUPABASE_SERVICE_ROLE_KEY: key, LOG_LEVEL: 'silent', ...extra });
  const open = (c: AppConfig, role: 'server' | 'worker' | 'migrate') => {
    if (c.database.kind !== 'supabase') throw new Error('expected the supabase target');
    return openSupabase(c.database, c, { role, logger });
  };
  const lines: string[] = [];
  const logger = { log: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) };
  beforeEach(() => (lines.length = 0));

  it('stops the server at once when the migration was not run, saying how to run it', async () => {
    await ensureSupabaseRoles(process.env.TEST_DATABASE_URL!);
    const empty = await createPostgresDatabase();
    const server = new FakeSupabaseServer(empty.url);
    const url = await server.start();
    try {
      const project = config(url, server.serviceRoleKey);
      const err = await open(project, 'server').catch((e: unknown) => e as Error);
      expect((err as Error).message).toContain('PGRST202');
      expect((err as Error).message).toContain(RUN_THE_MIGRATION);
      expect(server.calls.filter((c) => c.fn === 'inbox_ping')).toHaveLength(1);
      // A worker says the same, and keeps trying (here until its boot limit).
      const workerConfig = config(url, server.serviceRoleKey, { WORKER_DATABASE_BOOT_TIMEOUT_SECONDS: '2' });
      await expect(open(workerConfig, 'worker')).rejects.toThrow(/run the migration/);
      const retries = lines.filter((l) => l.includes('not ready'));
      expect(retries.length).toBeGreaterThanOrEqual(2);
      expect(retries[0]).toContain(RUN_THE_MIGRATION);
    } finally {
      await server.stop();
      await empty.drop();
    }
  });

  it('waits for a project that does not answer, then gives up naming the limit; the key never shows', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const key = signSupabaseKey('whatever-secret-of-at-least-32-characters', 'service_role');
    const project = config(`http://127.0.0.1:${port}`, key, { DATABASE_BOOT_TIMEOUT_SECONDS: '1' });
    const err = (await open(project, 'server').catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/cannot use SUPABASE_URL: Supabase \(SUPABASE_URL\) does not answer: ECONNREFUSED/);
    expect(err.message).toContain('DATABASE_BOOT_TIMEOUT_SECONDS');
    expect(lines.some((l) => l.includes('unreachable (try 1)'))).toBe(true);
    expect([err.message, ...lines].join('\n')).not.toContain(key);
    // What boot waited out: the request error itself, behind the give-up.
    const waitedOut = ((err as Error).cause as Error).cause;
    expect(waitedOut).toBeInstanceOf(SupabaseRequestError);
    expect(isDatabaseUnreachable(waitedOut)).toBe(true);
  });

  it('refuses `npm run migrate` over RPC, saying what works instead', async () => {
    const project = config('http://127.0.0.1:1', 'k');
    await expect(open(project, 'migrate')).rejects.toThrow(/migrations cannot run over SUPABASE_URL.*supabase db push/);
  });
});
