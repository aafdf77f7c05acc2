import { assertBuilt, freePort, spawnEntrypoint, type EntrypointProcess } from '../support/entrypoint-process';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';

const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL)
  console.warn('[postgres] TEST_DATABASE_URL is not set: the two-server rate limit test is skipped');

/** Polls until the server answers /health/ready with 200 (or it exits). */
async function ready(server: EntrypointProcess, port: number): Promise<void> {
  for (;;) {
    if (server.proc.exitCode !== null) throw new Error(`server exited: ${server.stderr()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function upload(port: number): Promise<Response> {
  const form = new FormData();
  form.append('files', new Blob(['INVOICE 1\nTotal 10.00']), 'invoice.txt');
  return fetch(`http://127.0.0.1:${port}/classify-documents-async`, { method: 'POST', body: form });
}

describePostgres('the upload rate limit across two server processes', () => {
  let db: { url: string; drop(): Promise<void> };
  const servers: EntrypointProcess[] = [];
  const ports: number[] = [];

  beforeAll(async () => {
    assertBuilt();
    db = await createPostgresDatabase();
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      ports.push(port);
      servers.push(
        spawnEntrypoint('server', {
          DATABASE_URL: db.url,
          PORT: String(port),
          RATE_LIMIT_PER_MINUTE: '3',
          LOG_LEVEL: 'warn',
        }),
      );
    }
    await Promise.all(servers.map((s, i) => ready(s, ports[i]!)));
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) s.proc.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await db?.drop();
  });

  it('counts one tenant across both: the 4th upload is a 429 with Retry-After, on either server', async () => {
    const [a, b] = ports as [number, number];
    expect((await upload(a)).status).toBe(202);
    expect((await upload(b)).status).toBe(202);
    expect((await upload(a)).status).toBe(202);
    for (const port of [b, a]) {
      const refused = await upload(port);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await refused.json()).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: `too many uploads: 3 a minute for this tenant; try again in ${retryAfter} s`,
      });
    }
  });
});
