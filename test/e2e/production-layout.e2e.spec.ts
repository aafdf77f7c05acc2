import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { assertBuilt, freePort, ROOT } from '../support/entrypoint-process';
import { makeTextPdf } from '../support/fixtures';

/**
 * No container engine can pull images here, so this builds what the Dockerfile's runtime stage
 * holds, in a fresh folder: `npm ci --omit=dev` from package.json and package-lock.json (the
 * deps stage), then every other COPY of the runtime stage (dist/ from the build, the migrations,
 * docker/). Each role then boots from that folder through docker/entrypoint.sh against a fresh
 * database on the local PostgreSQL, the image's HEALTHCHECK script must pass for the server and
 * the worker, and a PDF and a text file go through. Any dev dependency needed at run time fails
 * it.
 */
const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) console.warn('[postgres] TEST_DATABASE_URL is not set: the production layout test is skipped');

/** The runtime stage's COPY instructions, as [from stage or null, source, destination]. */
function runtimeCopies(dockerfile: string): Array<{ from: string | null; source: string; dest: string }> {
  const lines = dockerfile.split('\n');
  const start = lines.findIndex((l) => /^FROM\s+\S+\s+AS\s+runtime\s*$/i.test(l));
  if (start < 0) throw new Error('the Dockerfile has no runtime stage');
  const copies = [];
  for (const line of lines.slice(start + 1)) {
    if (/^FROM\s/i.test(line)) break;
    const m = /^COPY\s+(?:--from=(\S+)\s+)?(.+)$/i.exec(line.trim());
    if (!m) continue;
    const parts = m[2]!.split(/\s+/).filter((p) => !p.startsWith('--'));
    const dest = parts.pop()!;
    for (const source of parts) copies.push({ from: m[1] ?? null, source, dest });
  }
  return copies;
}

interface Proc {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | string | null>;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>): Proc {
  const proc = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  proc.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const exited = new Promise<number | string | null>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { proc, output: () => output, exited };
}

describePostgres('the production layout the Dockerfile builds', () => {
  let app: string;
  // npm's `#!/usr/bin/env node` and the roles run on this Node (24), not the system's.
  const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  let db: { url: string; drop(): Promise<void> };
  const running: Proc[] = [];

  beforeAll(async () => {
    assertBuilt();
    app = mkdtempSync(join(tmpdir(), 'doc-inbox-prod-'));
    const copies = runtimeCopies(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    // The deps stage: production dependencies only, installed fresh (no symlink to ours).
    expect(copies).toContainEqual({ from: 'deps', source: '/app/node_modules', dest: './node_modules' });
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    cpSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
    const install = run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], app, {
      PATH,
      HOME: process.env.HOME ?? tmpdir(),
      ONNXRUNTIME_NODE_INSTALL: 'skip',
    });
    const code = await install.exited;
    if (code !== 0) throw new Error(`npm ci --omit=dev failed (${code}): ${install.output()}`);
    for (const { from, source, dest } of copies) {
      if (from === 'deps') continue;
      // --from=build copies what `npm run build` made (dist/); the rest come from the context.
      const relative = from === 'build' ? source.replace(/^\/app\//, '') : source;
      const target = join(app, dest.endsWith('/') ? join(dest, relative.split('/').pop()!) : dest);
      cpSync(join(ROOT, relative), target, { recursive: true });
    }
    db = await createPostgresDatabase();
  }, 600_000);

  afterAll(async () => {
    for (const p of running) p.proc.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    await db?.drop();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  /** What the image's ENV sets, with this test's database and ports. */
  const env = (role: string, extra: Record<string, string> = {}) => ({
    PATH,
    NODE_ENV: 'production',
    ROLE: role,
    DATABASE_URL: db.url,
    DATA_DIR: join(app, 'data'),
    LOG_LEVEL: 'warn',
    ...extra,
  });

  /** The HEALTHCHECK command, run until it passes (or the role's process exits). */
  async function healthy(role: string, target: Proc, extra: Record<string, string>): Promise<void> {
    for (;;) {
      if (target.proc.exitCode !== null) throw new Error(`${role} exited: ${target.output()}`);
      const check = run(process.execPath, ['docker/healthcheck.mjs'], app, env(role, extra));
      if ((await check.exited) === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('holds no dev dependency', () => {
    expect(existsSync(join(app, 'node_modules', '@nestjs', 'core'))).toBe(true);
    // (typescript is not in this list: @nestjs/swagger depends on it at run time.)
    for (const dev of ['jest', 'ts-jest', '@nestjs/testing', 'eslint', 'supabase', 'autocannon']) {
      expect([dev, existsSync(join(app, 'node_modules', dev))]).toEqual([dev, false]);
    }
  });

  it('migrates, boots the server and a worker, answers their health checks and completes a job', async () => {
    const migrate = run('sh', ['docker/entrypoint.sh'], app, env('migrate'));
    expect([await migrate.exited, migrate.output()]).toEqual([0, expect.any(String)]);
    // NODE_ENV=production: the server refuses to start without a key; the image's CLI makes one.
    const keys = run(
      'sh',
      ['docker/entrypoint.sh', 'keys', 'create', '--tenant', 'acme', '--role', 'write'],
      app,
      env('cli'),
    );
    expect(await keys.exited).toBe(0);
    const key = /^dik_\w{8}_[\w-]+$/m.exec(keys.output())?.[0] ?? `no key in: ${keys.output()}`;
    expect(key).toMatch(/^dik_/);
    const auth = { Authorization: `Bearer ${key}` };

    const serverEnv = { PORT: String(await freePort()), MIGRATE_ON_BOOT: 'false' };
    const workerEnv = {
      WORKER_HEALTH_PORT: String(await freePort()),
      MIGRATE_ON_BOOT: 'false',
      WORKER_POLL_INTERVAL_SECONDS: '0.5',
    };
    const server = run('sh', ['docker/entrypoint.sh'], app, env('server', serverEnv));
    const worker = run('sh', ['docker/entrypoint.sh'], app, env('worker', workerEnv));
    running.push(server, worker);
    await healthy('server', server, serverEnv);
    await healthy('worker', worker, workerEnv);

    const base = `http://127.0.0.1:${serverEnv.PORT}`;
    const form = new FormData();
    const pdf = await makeTextPdf(['INVOICE 4711\nInvoice number 4711\nTotal due 120.00 EUR\nVAT 19%']);
    form.append('files', new Blob([new Uint8Array(pdf)]), 'invoice.pdf');
    form.append('files', new Blob(['Dear Ms Smith,\nthank you for your letter.\nKind regards']), 'letter.txt');
    const accepted = await fetch(`${base}/classify-documents-async`, { method: 'POST', body: form, headers: auth });
    expect(accepted.status).toBe(202);
    const { job_id: jobId } = (await accepted.json()) as { job_id: string };

    let job: { status: string; result: { documents: Array<{ status: string; text_sources: string[] }> } };
    for (;;) {
      job = (await (await fetch(`${base}/job/${jobId}`, { headers: auth })).json()) as typeof job;
      if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
      if (worker.proc.exitCode !== null) throw new Error(`worker exited: ${worker.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(job.status).toBe('completed');
    expect(job.result.documents.map((d) => [d.status, d.text_sources[0]])).toEqual([
      ['completed', 'text-layer'],
      ['completed', 'plain-text'],
    ]);
    const download = await fetch(`${base}/job/${jobId}/files/0`, { headers: auth });
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
  }, 300_000);

  it('runs nothing for an unknown ROLE, saying which roles exist', async () => {
    const wrong = run('sh', ['docker/entrypoint.sh'], app, env('janitor'));
    expect(await wrong.exited).toBe(64);
    expect(wrong.output()).toContain('ROLE=janitor is not a role: use server, worker, migrate or cli');
  });
});

/** compose.yaml, read as data (no compose binary here): the services and how they wait. */
describe('compose.yaml', () => {
  const compose = parseYaml(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<
      string,
      {
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }>;
        deploy?: { replicas?: number };
      }
    >;
  };

  it('runs PostgreSQL, a one-shot migration, the server and two workers, each waiting for what it needs', () => {
    const { postgres, migrate, server, worker } = compose.services;
    expect(Object.keys(compose.services).sort()).toEqual(['migrate', 'postgres', 'server', 'worker']);
    expect(postgres).toBeDefined();
    expect(migrate!.environment).toMatchObject({ ROLE: 'migrate' });
    expect(migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const role of [server!, worker!]) {
      expect(role.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
      expect(role.environment!.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(role.environment!.MIGRATE_ON_BOOT).toBe('false');
    }
    expect(server!.environment).toMatchObject({ ROLE: 'server' });
    expect(worker!.environment).toMatchObject({ ROLE: 'worker', WORKER_HEALTH_PORT: '3001' });
    expect(worker!.deploy?.replicas).toBe(2);
  });
});
