import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertBuilt,
  ENTRYPOINTS,
  freePort,
  ROOT,
  spawnEntrypoint,
  type EntrypointProcess,
} from '../support/entrypoint-process';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-auth-boot-'));
  dirs.push(dir);
  return dir;
}

/** `node dist/main.js` run to its end (a refusal), with its exit code and stderr. */
function bootToEnd(env: Record<string, string>) {
  const run = spawnSync(process.execPath, [ENTRYPOINTS.server], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', DATA_DIR: dataDir(), PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { status: run.status, stderrLines: run.stderr.trimEnd().split('\n') };
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await fetch(url, { headers })).status;
}

describe('the boot rule for API keys (built server)', () => {
  const running: EntrypointProcess[] = [];

  beforeAll(() => assertBuilt());
  afterEach(async () => {
    for (const p of running.splice(0)) {
      p.proc.kill('SIGTERM');
      await p.exited;
    }
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    [{ HOST: '0.0.0.0' }, /HOST=0\.0\.0\.0 \(not a loopback address\) requires one/],
    [{ HOST: '::' }, /HOST=:: \(not a loopback address\) requires one/],
    [{ NODE_ENV: 'production' }, /NODE_ENV=production requires one/],
    [{ NODE_ENV: 'production', HOST: '127.0.0.1' }, /NODE_ENV=production requires one/],
  ])(
    'refuses to start without a key on %o, in one line',
    (env, why) => {
      const { status: code, stderrLines } = bootToEnd(env);
      expect(code).toBe(1);
      expect(stderrLines).toHaveLength(1);
      expect(stderrLines[0]).toMatch(/^Doc Inbox cannot start: no API key exists, and /);
      expect(stderrLines[0]).toMatch(why);
      expect(stderrLines[0]).toMatch(
        /node dist\/cli\.js keys create --tenant <tenant> --role admin.*AUTH_DISABLED=true/,
      );
    },
    90_000,
  );

  it('starts open on 127.0.0.1 by default, and says so', async () => {
    const port = await freePort();
    const server = spawnEntrypoint('server', { DATA_DIR: dataDir(), PORT: String(port), LOG_LEVEL: 'info' });
    running.push(server);
    await server.waitForLine(/^no API key exists, so the API is open and listens on 127\.0\.0\.1 only/, 90_000);
    await server.waitForLine(new RegExp(`^Doc Inbox listening on http://127\\.0\\.0\\.1:${port} `));
    expect(await status(`http://127.0.0.1:${port}/jobs`)).toBe(200);
  }, 120_000);

  it('starts on 0.0.0.0 without keys with AUTH_DISABLED=true, and warns', async () => {
    const port = await freePort();
    const server = spawnEntrypoint('server', {
      DATA_DIR: dataDir(),
      PORT: String(port),
      LOG_LEVEL: 'info',
      HOST: '0.0.0.0',
      NODE_ENV: 'production',
      AUTH_DISABLED: 'true',
    });
    running.push(server);
    const warning = await server.waitForLine(/^AUTH_DISABLED=true: API keys are not checked/, 90_000);
    expect(warning.level).toBe(40);
    await server.waitForLine(new RegExp(`^Doc Inbox listening on http://0\\.0\\.0\\.0:${port} `));
    expect(await status(`http://127.0.0.1:${port}/jobs`)).toBe(200);
  }, 120_000);

  it('starts on 0.0.0.0 once a key exists, and wants it', async () => {
    const dir = dataDir();
    const made = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'cli.js'), 'keys', 'create', '--tenant', 'acme', '--role', 'read'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dir },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(made.status).toBe(0);
    const key = made.stdout.trimEnd().split('\n').pop()!;
    const port = await freePort();
    const server = spawnEntrypoint('server', { DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'info', HOST: '0.0.0.0' });
    running.push(server);
    await server.waitForLine(/^API keys required/, 90_000);
    await server.waitForLine(/^Doc Inbox listening on http:\/\/0\.0\.0\.0:/);
    expect(await status(`http://127.0.0.1:${port}/jobs`)).toBe(401);
    expect(await status(`http://127.0.0.1:${port}/health`)).toBe(200);
    expect(await status(`http://127.0.0.1:${port}/jobs`, { 'X-API-Key': key })).toBe(200);
  }, 150_000);
});
