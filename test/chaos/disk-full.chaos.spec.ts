import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STORAGE_FULL } from '../../src/common/errors';
import { assertBuilt, spawnEntrypoint, type EntrypointProcess } from '../support/entrypoint-process';
import { ThrowawayPostgres, throwawayPostgresUnavailable } from '../support/throwaway-postgres';
import {
  QUIET_PROVIDERS,
  readLedger,
  report,
  startEmbeddedServer,
  startServer,
  startWorker,
  waitFor,
} from './chaos-support';

// A disk that fills up under the service: a tmpfs of a few MB, which needs root on Linux.
const mount = (dir: string, mb: number) => execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir]);
const resize = (dir: string, mb: number) => execFileSync('mount', ['-o', `remount,size=${mb}m`, dir]);
const unmount = (dir: string) => execFileSync('umount', ['-l', dir]);

function whyNoSmallDisk(): string | undefined {
  if (process.platform !== 'linux') return 'a tmpfs needs Linux';
  const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    unmount(dir);
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here: ${
      String((err as { stderr?: unknown }).stderr ?? err)
        .trim()
        .split('\n')[0]
    }`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const noSmallDisk = whyNoSmallDisk();
const title = noSmallDisk
  ? `chaos (f): the disk fills up (skipped: ${noSmallDisk})`
  : 'chaos (f): the disk fills up under the embedded default, filesystem blobs and PostgreSQL';
const describeDisk = noSmallDisk ? describe.skip : describe;
if (noSmallDisk) console.warn(`[chaos] ${title}`);

type Answer = { status: number; message: string; jobId?: string } | 'no answer in 30 s' | 'connection closed';

/** One upload of a text file; a hang is told apart from a process that went away. */
async function upload(url: string, bytes: Buffer, name: string): Promise<Answer> {
  const form = new FormData();
  form.append('files', new Blob([new Uint8Array(bytes)], { type: 'text/plain' }), name);
  try {
    const res = await fetch(`${url}/classify-documents-async`, {
      method: 'POST',
      body: form,
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { job_id?: string; message?: string };
    return { status: res.status, message: body.message ?? '', jobId: body.job_id };
  } catch (err) {
    return (err as Error).name === 'TimeoutError' ? 'no answer in 30 s' : 'connection closed';
  }
}

/** Text a sniffer takes for text/plain and nothing compresses much. */
const textOf = (bytes: number) =>
  Buffer.from(
    randomBytes(Math.ceil((bytes * 3) / 4))
      .toString('base64')
      .slice(0, bytes),
  );

/** The process's exit code, or 'still running' after ms. */
async function exitWithin(server: EntrypointProcess, ms: number): Promise<number | string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)));
  try {
    return await Promise.race([server.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function jobStatus(url: string, id: string): Promise<string> {
  const res = await fetch(`${url}/job/${id}`);
  return ((await res.json()) as { status: string }).status;
}

async function allCompleted(url: string, ids: string[]): Promise<void> {
  await waitFor(
    `${ids.length} jobs to complete`,
    async () => Promise.all(ids.map((id) => jobStatus(url, id))),
    (statuses) => statuses.every((s) => s === 'completed'),
    120_000,
    300,
  );
}

describeDisk(title, () => {
  const mounted: string[] = [];
  const servers: EntrypointProcess[] = [];
  const smallDisk = (mb: number): string => {
    const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-full-'));
    mount(dir, mb);
    mounted.push(dir);
    return dir;
  };

  beforeAll(() => assertBuilt());
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.proc.kill('SIGKILL');
      await s.exited;
    }
    for (const dir of mounted.splice(0)) {
      unmount(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('embedded: uploads are 202 or a 503 that says the storage is full, never a hang; after space is freed every accepted job completes', async () => {
    // 56 MB: a new data folder takes about 41 (one 16 MB WAL segment), so 1 MiB uploads fill it soon.
    const dir = smallDisk(56);
    let server = await startEmbeddedServer(dir);
    servers.push(server);
    const accepted: string[] = [];
    const refused: string[] = [];
    let ended: string | undefined;
    for (let i = 0; i < 60 && refused.length < 3 && !ended; i++) {
      const answer = await upload(server.url, textOf(1 << 20), `big-${i}.txt`);
      expect(answer).not.toBe('no answer in 30 s');
      if (answer === 'connection closed' || answer === 'no answer in 30 s') ended = answer;
      else if (answer.status === 202) accepted.push(answer.jobId!);
      else {
        expect({ status: answer.status, message: answer.message }).toEqual({
          status: 503,
          message: expect.stringContaining(STORAGE_FULL) as string,
        });
        refused.push(answer.message);
      }
    }
    // The disk did fill: a refusal, or the process stopping on PostgreSQL's PANIC.
    expect(refused.length > 0 || ended !== undefined).toBe(true);
    let how: string;
    if (ended) {
      expect(await exitWithin(server, 10_000)).toBe(1);
      expect(server.stderr()).toMatch(/the embedded database hit a PANIC \(.*No space left on device/);
      how = `the process stopped (exit 1) on PostgreSQL's PANIC: "${server.stderr().trim().split('\n').pop()}"`;
    } else {
      const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(5_000) });
      expect(health.status).toBe(200);
      how = 'the process kept answering (/health 200)';
    }

    resize(dir, 256);
    if (ended) {
      server = await startEmbeddedServer(dir);
      servers.push(server);
    }
    await allCompleted(server.url, accepted);
    const after = await upload(server.url, textOf(1 << 20), 'after.txt');
    expect(after).toMatchObject({ status: 202 });
    await allCompleted(server.url, [(after as { jobId: string }).jobId]);
    report('(f) a full disk under the embedded database (a 56 MB tmpfs, 1 MiB uploads one after another)', [
      `${accepted.length} uploads accepted (202), ${refused.length} refused with 503 "${refused[0] ?? '-'}"`,
      `then ${how}; no request went unanswered`,
      `disk grown to 256 MB${ended ? ' and the server started again (recovered from its WAL)' : ''}: all ${accepted.length} accepted jobs completed, and a new upload was accepted and completed`,
    ]);
  }, 240_000);

  it('embedded: a disk too small for a new data folder: the server refuses to start, in one line naming why', async () => {
    const dir = smallDisk(10);
    const server = spawnEntrypoint('server', { ...QUIET_PROVIDERS, DATA_DIR: join(dir, 'data'), PORT: '0' });
    servers.push(server);
    expect(await exitWithin(server, 60_000)).toBe(1);
    const line = server.stderr().trim().split('\n').pop();
    expect(line).toBe(
      `Doc Inbox cannot start: cannot open the embedded database in ${join(dir, 'data')}: no space left on device (ENOSPC)`,
    );
    report('(f) a new embedded data folder on a 10 MB disk', [`exit 1: "${line}"`]);
  }, 90_000);

  it('filesystem blobs: a file the disk has no room for is a 503 saying so (not a 400 blaming the upload), its temp file removed', async () => {
    const data = mkdtempSync(join(tmpdir(), 'doc-inbox-full-data-'));
    const blobs = smallDisk(1);
    try {
      const server = await startEmbeddedServer(data, { BLOB_STORE: 'filesystem', BLOB_DIR: blobs });
      servers.push(server);
      const big = await upload(server.url, textOf(2 << 20), 'two-mib.txt');
      expect(big).toMatchObject({ status: 503, message: expect.stringContaining(STORAGE_FULL) as string });
      // Removed as the store's write unwinds, which may finish just after the answer went out.
      await waitFor(
        'the temp file removed',
        async () => readdirSync(join(blobs, '.tmp')),
        (names) => names.length === 0,
        5_000,
        50,
      );
      const small = await upload(server.url, textOf(10_000), 'small.txt');
      expect(small).toMatchObject({ status: 202 });
      await allCompleted(server.url, [(small as { jobId: string }).jobId]);
      report('(f) a full blob directory (BLOB_STORE=filesystem on a 1 MB tmpfs)', [
        `a 2 MiB upload: 503 "${(big as { message: string }).message}"; nothing left in ${join('BLOB_DIR', '.tmp')}`,
        'a 10 KB upload after it: 202, and its job completed',
      ]);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);
  const itCluster = throwawayPostgresUnavailable ? it.skip : it;
  itCluster(
    `PostgreSQL on a full disk: uploads are 202 or 503, never a 500 or a hang; once it has room, every accepted job completes once${throwawayPostgresUnavailable ? ` (skipped: ${throwawayPostgresUnavailable})` : ''}`,
    async () => {
      // A throwaway cluster on 80 MB: initdb and the schema take about 45 (one 16 MB WAL segment).
      const disk = smallDisk(80);
      const pg = await ThrowawayPostgres.create({ parent: disk });
      try {
        const server = await startServer(pg.url);
        servers.push(server);
        const accepted: string[] = [];
        const refused = new Map<string, number>();
        for (let i = 0; i < 80 && [...refused.values()].reduce((a, b) => a + b, 0) < 5; i++) {
          const answer = await upload(server.url, textOf(1 << 20), `big-${i}.txt`);
          expect(answer).not.toBe('no answer in 30 s');
          expect(answer).not.toBe('connection closed');
          if (typeof answer === 'string') break;
          if (answer.status === 202) {
            accepted.push(answer.jobId!);
            continue;
          }
          // Full, or PostgreSQL restarting after its PANIC: either way a 503 the client can retry.
          expect(answer.status).toBe(503);
          const said = answer.message.replace(/; if it persists.*$/, '');
          expect([STORAGE_FULL, 'the job database is unreachable; try again shortly']).toContain(said);
          refused.set(said, (refused.get(said) ?? 0) + 1);
        }
        expect(refused.size).toBeGreaterThan(0);
        const runningWhenFull = pg.isRunning();

        resize(disk, 512);
        if (!pg.isRunning()) pg.start();
        // The same server process takes uploads again once the database has room.
        const again = await waitFor(
          'an upload to be accepted again',
          () => upload(server.url, textOf(1 << 20), 'after.txt'),
          (a) => typeof a !== 'string' && a.status === 202,
          60_000,
          500,
        );
        accepted.push((again as { jobId: string }).jobId);
        const worker = startWorker(pg.url);
        servers.push(worker);
        const ledger = await waitFor(
          `the ${accepted.length} accepted jobs to complete`,
          () => readLedger(pg.url),
          (l) => (l.byStatus.completed ?? 0) === accepted.length,
          120_000,
          300,
        );
        expect(ledger).toMatchObject({ jobs: accepted.length, documentsRecordedTwice: 0, jobsEndedTwice: 0 });
        report('(f) a full disk under PostgreSQL (a throwaway cluster on an 80 MB tmpfs, 1 MiB uploads)', [
          `${accepted.length - 1} uploads accepted (202), then refused: ${[...refused].map(([m, n]) => `${n} x 503 "${m}"`).join(', ')}; none answered 500, none unanswered`,
          `PostgreSQL ${runningWhenFull ? 'still running' : 'stopped (its crash recovery could not write)'} while full; disk grown to 512 MB${runningWhenFull ? '' : ', cluster started again'}`,
          `the same server accepted an upload again; one worker then completed all ${accepted.length} jobs, each document recorded once`,
        ]);
      } finally {
        pg.destroy();
      }
    },
    240_000,
  );
});
