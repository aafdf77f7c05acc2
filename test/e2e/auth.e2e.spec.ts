import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'supertest';
import { TrainingExamples } from '../../src/classifier/training-examples';
import { CorrectionStore } from '../../src/classifier/correction-store.port';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { ROOT } from '../support/entrypoint-process';
import { startTestApp, type JobBody, type TestApp } from '../support/test-app';

const CLI = join(ROOT, 'dist', 'cli.js');

/** `node dist/cli.js ...args` on the given database settings. */
function cli(args: string[], env: Record<string, string>) {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const stdout = run.stdout.trimEnd().split('\n');
  return { status: run.status, stdout, stderr: run.stderr, lastLine: stdout[stdout.length - 1] };
}

/** A key made by the CLI: the key alone is its last line of output. */
function createKey(env: Record<string, string>, tenant: string, role: string, name?: string): string {
  const run = cli(['keys', 'create', '--tenant', tenant, '--role', role, ...(name ? ['--name', name] : [])], env);
  if (run.status !== 0) throw new Error(`keys create failed (${run.status}): ${run.stderr}`);
  expect(run.lastLine).toMatch(/^dik_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
  return run.lastLine;
}

const MEMO_TAXONOMY = `
categories:
  - id: memo
    label: Memo
    description: An internal memo between colleagues of the same company.
    keywords: [memo, memorandum, internal note]
  - id: timesheet
    label: Timesheet
    description: Hours worked by a consultant, per day of a week.
    keywords: [timesheet, hours worked, billable hours]
`;
const MEMO_TEXT = 'MEMORANDUM\nInternal memo to all staff: the office closes early on Friday. Internal note from HR.';
const TIMESHEET = (week: number) =>
  `Contoso staffing weekly timesheet week ${week}\nConsultant hours Monday 8 Tuesday 8 Wednesday 7.5\n` +
  `Project code CX-77 approved by line manager, overtime hours 2, billable hours 39.5`;

describe('API keys and tenants (keys made by the built CLI, embedded database)', () => {
  let t: TestApp;
  let dataDir: string;
  const keys = { acmeAdmin: '', acmeWrite: '', acmeRead: '', globexWrite: '', globexAdmin: '' };

  const as = (key: string, req: Test) => req.set('Authorization', `Bearer ${key}`);

  async function upload(key: string, filename: string, text: string, categories?: string): Promise<string> {
    let req = as(key, t.http.post('/classify-documents-async')).attach('files', Buffer.from(text), filename);
    if (categories) req = req.field('categories', categories);
    const res = await req.expect(202);
    return (res.body as { job_id: string }).job_id;
  }

  async function finished(key: string, id: string): Promise<JobBody> {
    const end = Date.now() + 60_000;
    for (;;) {
      const body = (await as(key, t.http.get(`/job/${id}`)).expect(200)).body as JobBody;
      if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
      if (Date.now() > end) throw new Error(`job ${id} still ${body.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
    // The embedded database serves one process: the CLI makes the keys before the app opens it.
    dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-auth-'));
    const env = { DATA_DIR: dataDir };
    keys.acmeAdmin = createKey(env, 'acme', 'admin', 'ops');
    keys.acmeWrite = createKey(env, 'acme', 'write', 'ci');
    keys.globexWrite = createKey(env, 'globex', 'write');
    keys.globexAdmin = createKey(env, 'globex', 'admin');
    t = await startTestApp({
      env: { DATA_DIR: dataDir, CLASSIFIER_PROVIDER: 'local' },
      // Production rereads corrections every 5 s; these tests want the next document to see a label.
      override: (b) =>
        b.overrideProvider(TrainingExamples).useFactory({
          factory: (store: CorrectionStore) => new TrainingExamples(store, { refreshMs: 0, limit: 100 }),
          inject: [CorrectionStore],
        }),
    });
    const read = await as(keys.acmeAdmin, t.http.post('/keys')).send({ role: 'read', name: 'dashboard' }).expect(201);
    keys.acmeRead = (read.body as { key: string }).key;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 401 without a key, saying how to send one, and leaves health open', async () => {
    const res = await t.http.get('/jobs').expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(res.body.message).toMatch(/Authorization: Bearer <key>.*X-API-Key: <key>/);
    await t.http.get('/health').expect(200);
    await t.http.get('/health/ready').expect(200);
    await t.http.get('/jobs').set('Authorization', 'Basic dXNlcjpwYXNz').expect(401);
    await t.http.get('/jobs').set('X-API-Key', 'dik_notakey').expect(401);
    await t.http
      .get('/jobs')
      .set('Authorization', `Bearer ${keys.acmeRead}`)
      .set('X-API-Key', keys.acmeWrite)
      .expect(401);
  });

  it('takes the key as Authorization: Bearer or as X-API-Key', async () => {
    await t.http.get('/jobs').set('Authorization', `Bearer ${keys.acmeRead}`).expect(200);
    await t.http.get('/jobs').set('X-API-Key', keys.acmeRead).expect(200);
  });

  /**
   * Every route that names a job, as tenant B sees tenant A's: a 404, exactly as for a job that
   * does not exist. Routes added later (events, files, webhooks) go in this table.
   */
  const JOB_ROUTES: Array<{
    name: string;
    method: 'get' | 'post' | 'delete';
    path: (id: string) => string;
    body?: object;
  }> = [
    { name: 'get', method: 'get', path: (id) => `/job/${id}` },
    { name: 'long poll', method: 'get', path: (id) => `/job/${id}?wait=1` },
    { name: 'events', method: 'get', path: (id) => `/job/${id}/events` },
    { name: 'download', method: 'get', path: (id) => `/job/${id}/files/0` },
    { name: 'webhooks', method: 'get', path: (id) => `/job/${id}/webhooks` },
    { name: 'cancel', method: 'post', path: (id) => `/job/${id}/cancel` },
    { name: 'retry', method: 'post', path: (id) => `/job/${id}/retry` },
    { name: 'label', method: 'post', path: (id) => `/job/${id}/documents/0/label`, body: { label: 'invoice' } },
    // Last: were it to succeed, the routes above would have nothing left to find.
    { name: 'delete', method: 'delete', path: (id) => `/job/${id}` },
  ];

  it("gives tenant B a 404 for tenant A's job on every job route, and leaves the job alone", async () => {
    const id = await upload(keys.acmeWrite, 'memo.txt', MEMO_TEXT);
    const before = await finished(keys.acmeWrite, id);
    for (const route of JOB_ROUTES) {
      const res = await as(keys.globexWrite, t.http[route.method](route.path(id))).send(route.body);
      expect({ route: route.name, status: res.status, message: res.body.message }).toEqual({
        route: route.name,
        status: 404,
        message: route.name === 'label' ? `job ${id} has no document at position 0` : `job ${id} not found`,
      });
    }
    const globexList = await as(keys.globexWrite, t.http.get('/jobs')).expect(200);
    expect(globexList.body.jobs.map((j: { job_id: string }) => j.job_id)).not.toContain(id);
    const acmeList = await as(keys.acmeRead, t.http.get('/jobs')).expect(200);
    expect(acmeList.body.jobs.map((j: { job_id: string }) => j.job_id)).toContain(id);
    const after = (await as(keys.acmeRead, t.http.get(`/job/${id}`)).expect(200)).body as JobBody;
    expect(after.status).toBe(before.status);
    expect(after.result.documents[0].document_type).toBe(before.result.documents[0].document_type);
  });

  it('enforces roles: read only reads, write cannot manage keys', async () => {
    const id = await upload(keys.acmeWrite, 'memo.txt', MEMO_TEXT);
    await as(keys.acmeRead, t.http.get(`/job/${id}`)).expect(200);
    const denied = await as(keys.acmeRead, t.http.post(`/job/${id}/cancel`)).expect(403);
    expect(denied.body.message).toMatch(/role is 'read'; POST \/job\/.+\/cancel needs 'write'/);
    await as(keys.acmeRead, t.http.post('/classify-documents-async'))
      .attach('files', Buffer.from(MEMO_TEXT), 'memo.txt')
      .expect(403);
    await as(keys.acmeRead, t.http.delete(`/job/${id}`)).expect(403);
    await as(keys.acmeWrite, t.http.get('/keys')).expect(403);
    await as(keys.acmeWrite, t.http.post('/keys')).send({ role: 'read' }).expect(403);
    await as(keys.acmeWrite, t.http.put('/tenant/taxonomy')).send({ categories: [] }).expect(403);
    await as(keys.acmeWrite, t.http.post(`/job/${id}/cancel`)).expect(200);
    await as(keys.acmeWrite, t.http.delete(`/job/${id}`)).expect(204);
  });

  it("keeps an admin to its own tenant's keys; never shows a key again", async () => {
    const cross = await as(keys.acmeAdmin, t.http.post('/keys')).send({ tenant: 'globex', role: 'read' }).expect(403);
    expect(cross.body.message).toMatch(/own tenant only/);
    await as(keys.acmeAdmin, t.http.get('/keys?tenant=globex')).expect(403);
    const listed = await as(keys.acmeAdmin, t.http.get('/keys')).expect(200);
    const rows = listed.body.keys as Array<Record<string, unknown>>;
    expect(new Set(rows.map((k) => k.tenant_id))).toEqual(new Set(['acme']));
    expect(rows.map((k) => k.name).sort()).toEqual(['ci', 'dashboard', 'ops']);
    for (const row of rows) {
      expect(row).not.toHaveProperty('key');
      expect(JSON.stringify(row)).not.toMatch(/dik_[A-Za-z0-9]{8}_/);
    }
  });

  it('fails a revoked key on the very next request', async () => {
    const made = await as(keys.acmeAdmin, t.http.post('/keys'))
      .send({ role: 'write', name: 'short-lived' })
      .expect(201);
    const { key, id, prefix } = made.body as { key: string; id: string; prefix: string };
    expect(key.startsWith(`dik_${prefix}_`)).toBe(true);
    await as(key, t.http.get('/jobs')).expect(200);
    const revoked = await as(keys.acmeAdmin, t.http.delete(`/keys/${prefix}`)).expect(200);
    expect(revoked.body).toMatchObject({ id, revoked_at: expect.any(String) });
    const res = await as(key, t.http.get('/jobs')).expect(401);
    expect(res.body.message).toMatch(/unknown or revoked/);
    await as(keys.acmeAdmin, t.http.delete(`/keys/${id}`)).expect(200);
  });

  it("answers 404 to an admin revoking another tenant's key, which keeps working", async () => {
    const listed = await as(keys.acmeAdmin, t.http.get('/keys')).expect(200);
    const acmeWrite = (listed.body.keys as Array<{ id: string; prefix: string; name: string }>).find(
      (k) => k.name === 'ci',
    )!;
    await as(keys.globexAdmin, t.http.delete(`/keys/${acmeWrite.id}`)).expect(404);
    await as(keys.globexAdmin, t.http.delete(`/keys/${acmeWrite.prefix}`)).expect(404);
    await as(keys.acmeWrite, t.http.get('/jobs')).expect(200);
    const globexKeys = await as(keys.globexAdmin, t.http.get('/keys')).expect(200);
    expect(new Set(globexKeys.body.keys.map((k: { tenant_id: string }) => k.tenant_id))).toEqual(new Set(['globex']));
  });

  it("classifies with the tenant's own taxonomy, for that tenant only", async () => {
    const bad = await as(keys.acmeAdmin, t.http.put('/tenant/taxonomy'))
      .send({ categories: [{ id: 'Memo', label: 'Memo', description: 'short', keywords: [] }] })
      .expect(400);
    expect(bad.body.message).toMatch(/^invalid taxonomy: categories\[0\] \(Memo\): id must be lower-case/);
    await as(keys.acmeAdmin, t.http.put('/tenant/taxonomy'))
      .set('Content-Type', 'application/yaml')
      .send('categories: [')
      .expect(400);

    const set = await as(keys.acmeAdmin, t.http.put('/tenant/taxonomy'))
      .set('Content-Type', 'application/yaml')
      .send(MEMO_TAXONOMY)
      .expect(200);
    expect(set.body.categories.map((c: { id: string }) => c.id)).toEqual(['memo', 'timesheet']);

    const acmeCategories = await as(keys.acmeRead, t.http.get('/categories')).expect(200);
    expect(acmeCategories.body.categories.map((c: { id: string }) => c.id)).toEqual(['memo', 'timesheet']);
    const globexCategories = await as(keys.globexWrite, t.http.get('/categories')).expect(200);
    expect(globexCategories.body.categories.map((c: { id: string }) => c.id)).toContain('invoice');
    expect(globexCategories.body.categories.map((c: { id: string }) => c.id)).not.toContain('memo');

    const acmeJob = await finished(keys.acmeWrite, await upload(keys.acmeWrite, 'memo.txt', MEMO_TEXT));
    expect(acmeJob.result.documents[0].document_type).toBe('memo');
    const globexJob = await finished(keys.globexWrite, await upload(keys.globexWrite, 'memo.txt', MEMO_TEXT));
    expect(globexJob.result.documents[0].document_type).not.toBe('memo');

    const unknown = await as(keys.acmeWrite, t.http.post('/classify-documents-async'))
      .attach('files', Buffer.from(MEMO_TEXT), 'memo.txt')
      .field('categories', 'invoice')
      .expect(400);
    expect(unknown.body.message).toMatch(/unknown categories: invoice/);
    await upload(keys.globexWrite, 'memo.txt', MEMO_TEXT, 'invoice');

    const reset = await as(keys.acmeAdmin, t.http.delete('/tenant/taxonomy')).expect(200);
    expect(reset.body.categories.map((c: { id: string }) => c.id)).toContain('invoice');
    const again = await as(keys.acmeRead, t.http.get('/categories')).expect(200);
    expect(again.body.categories.map((c: { id: string }) => c.id)).toContain('invoice');
  });

  it("trains a tenant's local model on its own corrections only", async () => {
    const jobId = await upload(keys.acmeWrite, 'ts.txt', TIMESHEET(44));
    const first = await finished(keys.acmeWrite, jobId);
    expect(first.result.documents[0].document_type).not.toBe('payslip');
    await as(keys.acmeWrite, t.http.post(`/job/${jobId}/documents/0/label`))
      .send({ label: 'payslip' })
      .expect(200);

    const acme = await finished(keys.acmeWrite, await upload(keys.acmeWrite, 'ts.txt', TIMESHEET(46)));
    expect(acme.result.documents[0].document_type).toBe('payslip');
    const globex = await finished(keys.globexWrite, await upload(keys.globexWrite, 'ts.txt', TIMESHEET(46)));
    expect(globex.result.documents[0].document_type).not.toBe('payslip');
  });
});

describe('open mode: no key yet, on a loopback address', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ roles: { http: true, worker: false } });
  });
  afterAll(() => t?.close());

  it('serves the default tenant without a key until the first key exists, then wants one', async () => {
    await t.http.get('/jobs').expect(200);
    const badRole = await t.http.post('/keys').send({ tenant: 'acme', role: 'owner' }).expect(400);
    expect(badRole.body.message).toMatch(/role must be one of: admin, write, read/);
    const badTenant = await t.http.post('/keys').send({ tenant: 'Acme Inc', role: 'read' }).expect(400);
    expect(badTenant.body.message).toMatch(/tenant must be 1 to 63 lower-case letters/);
    // The open service is the default tenant's admin: it may make a key for any tenant.
    const made = await t.http.post('/keys').send({ tenant: 'acme', role: 'admin' }).expect(201);
    expect(made.body).toMatchObject({ tenant_id: 'acme', role: 'admin', tenant_created: true });
    expect(made.body.webhook_secret).toMatch(/^whsec_/);
    await t.http.get('/jobs').expect(401);
    await t.http.get('/jobs').set('X-API-Key', made.body.key).expect(200);
    // Revoking the last key opens the loopback service again.
    await t.http.delete(`/keys/${made.body.id}`).set('X-API-Key', made.body.key).expect(200);
    await t.http.get('/jobs').expect(200);
  });
});

describe('AUTH_DISABLED=true', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_DISABLED: 'true', HOST: '0.0.0.0' }, roles: { http: true, worker: false } });
  });
  afterAll(() => t?.close());

  it('checks no key at all, even once keys exist', async () => {
    await t.http.post('/keys').send({ tenant: 'acme', role: 'read' }).expect(201);
    await t.http.get('/jobs').expect(200);
    await t.http.post('/job/00000000-0000-4000-8000-000000000000/cancel').expect(404);
  });
});

describe('keys required on a non-loopback HOST, even after the last key is revoked', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { HOST: '0.0.0.0' }, roles: { http: true, worker: false } });
  });
  afterAll(() => t?.close());

  it('never lets a keyless request in', async () => {
    await t.http.get('/jobs').expect(401);
    await t.http.post('/keys').send({ role: 'admin' }).expect(401);
  });
});

const postgresOnly = TEST_DATABASE_URL ? describe : describe.skip;

postgresOnly('the CLI beside a running server (PostgreSQL; skipped without TEST_DATABASE_URL)', () => {
  let t: TestApp;
  let db: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    db = await createPostgresDatabase();
    t = await startTestApp({ env: { DATABASE_URL: db.url }, roles: { http: true, worker: false } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('creates, lists and revokes keys; a revoked key fails on the very next request', async () => {
    const env = { DATABASE_URL: db.url };
    const first = cli(['keys', 'create', '--tenant', 'acme', '--role', 'write', '--name', 'ci'], env);
    expect(first.status).toBe(0);
    expect(first.stdout.join('\n')).toMatch(/created tenant acme; its webhook signing secret \(shown once\): whsec_/);
    const key = first.lastLine;
    const second = cli(['keys', 'create', '--tenant', 'acme', '--role', 'read'], env);
    expect(second.stdout.join('\n')).not.toMatch(/whsec_/);

    await t.http.get('/jobs').set('Authorization', `Bearer ${key}`).expect(200);
    const listed = cli(['keys', 'list', '--tenant', 'acme'], env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toHaveLength(3);
    expect(listed.stdout.join('\n')).not.toContain(key);
    const prefix = key.slice(0, 12);
    expect(listed.stdout.join('\n')).toContain(prefix);

    const file = join(mkdtempSync(join(tmpdir(), 'doc-inbox-taxonomy-')), 'acme.yaml');
    writeFileSync(file, MEMO_TAXONOMY);
    const set = cli(['tenants', 'set-taxonomy', '--tenant', 'acme', '--file', file], env);
    expect(set).toMatchObject({
      status: 0,
      lastLine: 'tenant acme now classifies into its own 2 categories: memo, timesheet',
    });
    const categories = await t.http.get('/categories').set('X-API-Key', key).expect(200);
    expect(categories.body.categories.map((c: { id: string }) => c.id)).toEqual(['memo', 'timesheet']);
    expect(cli(['tenants', 'reset-taxonomy', '--tenant', 'acme'], env).status).toBe(0);
    const reset = await t.http.get('/categories').set('X-API-Key', key).expect(200);
    expect(reset.body.categories.map((c: { id: string }) => c.id)).toContain('invoice');

    const revoked = cli(['keys', 'revoke', prefix], env);
    expect(revoked).toMatchObject({ status: 0 });
    expect(revoked.lastLine).toMatch(/^revoked key .* of tenant acme$/);
    await t.http.get('/jobs').set('Authorization', `Bearer ${key}`).expect(401);
  }, 60_000);
});

describe('the CLI refuses bad usage with one line', () => {
  it.each([
    [[], /^doc-inbox: usage: node dist\/cli.js keys create/],
    [['keys', 'create', '--role', 'write'], /^doc-inbox: --tenant <tenant> is required$/],
    [['keys', 'create', '--tenant', 'acme'], /^doc-inbox: keys create needs --role admin, write or read$/],
    [
      ['keys', 'create', '--tenant', 'acme', '--role', 'owner'],
      /--role must be one of admin, write, read, not 'owner'/,
    ],
    [['keys', 'create', '--tenant', 'Acme Inc', '--role', 'read'], /--tenant 'Acme Inc' must be 1 to 63 lower-case/],
    [['keys', 'revoke'], /keys revoke needs one key id or prefix/],
    [['keys', 'rotate'], /unknown command 'keys rotate'/],
    [['keys', 'list', '--colour'], /Unknown option '--colour'/],
  ])('%j', (args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-cli-'));
    try {
      const run = cli(args, { DATA_DIR: dir });
      expect(run.status).toBe(2);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr.trimEnd()).toMatch(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates a taxonomy file before touching the database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-cli-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'categories:\n  - id: x\n');
      const run = cli(['tenants', 'set-taxonomy', '--tenant', 'acme', '--file', file], { DATA_DIR: join(dir, 'db') });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/Invalid categories file .*bad.yaml: categories\[0\] \(x\): /);
      expect(existsSync(join(dir, 'db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
