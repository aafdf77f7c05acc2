import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertBuilt,
  freePort,
  ROOT,
  SERVER_NODE_FLAGS,
  spawnEntrypoint,
  type EntrypointProcess,
} from '../support/entrypoint-process';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';

jest.setTimeout(120_000);

/** Packages only the worker (or another driver than the default) uses. */
const WORKER_ONLY = [
  'openai',
  '@aws-sdk/client-textract',
  '@aws-sdk/client-s3',
  'sharp',
  'tesseract.js',
  'unpdf',
  '@supabase/supabase-js',
];

/**
 * A preload (`--import` of a data: URL) that writes the paths of every CommonJS module the
 * process has loaded to FOOTPRINT_FILE, every 100 ms: to a temporary file renamed over it, so the
 * test never reads one half written (CI did, once: JSON cut off at 8,192 bytes).
 */
const RECORD_MODULES =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { createRequire } from 'node:module'; import { renameSync, writeFileSync } from 'node:fs';" +
      "import { isMainThread } from 'node:worker_threads';" +
      "const cache = createRequire('/').cache; const file = process.env.FOOTPRINT_FILE;" +
      // Threads (the embedded database's, pdf.js's) get the preload too: only the process's own list counts.
      "if (isMainThread) setInterval(() => { writeFileSync(file + '.tmp', JSON.stringify(Object.keys(cache))); renameSync(file + '.tmp', file); }, 100).unref();",
  );

function packagesIn(paths: string[]): Set<string> {
  const found = new Set<string>();
  for (const path of paths) {
    // The package a path belongs to is the one after its last node_modules/.
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path.slice(path.lastIndexOf('node_modules/')));
    if (m) found.add(m[1]);
  }
  return found;
}

describe('what the server process loads', () => {
  let dir: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'doc-inbox-footprint-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function loadedBy(name: string, env: Record<string, string>): Promise<string[]> {
    const file = join(dir, `${name}.json`);
    const port = await freePort();
    const server: EntrypointProcess = spawnEntrypoint(
      'server',
      { PORT: String(port), DATA_DIR: join(dir, name), LOG_LEVEL: 'info', FOOTPRINT_FILE: file, ...env },
      ['--import', RECORD_MODULES],
    );
    try {
      await server.waitForLine(/Doc Inbox listening/);
      await new Promise((r) => setTimeout(r, 300));
      return JSON.parse(readFileSync(file, 'utf8')) as string[];
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
  }

  const itPostgres = TEST_DATABASE_URL ? it : it.skip;
  itPostgres(
    `an API-only process loads none of the worker-only SDKs (their heap would be marked on every major GC)${TEST_DATABASE_URL ? '' : ' [skipped: TEST_DATABASE_URL is not set]'}`,
    async () => {
      const db = await createPostgresDatabase(TEST_DATABASE_URL!);
      let paths: string[];
      try {
        paths = await loadedBy('api', { DATABASE_URL: db.url, WORKER_IN_SERVER: 'false' });
      } finally {
        await db.drop();
      }
      const packages = packagesIn(paths);
      expect(packages.has('@nestjs/core')).toBe(true); // the recorder saw the server's modules
      expect(WORKER_ONLY.filter((p) => packages.has(p))).toEqual([]);
      expect(paths.some((p) => p.endsWith(join('dist', 'worker', 'worker.module.js')))).toBe(false);
    },
  );

  it('the all-in-one process loads the worker, with the OCR and PDF libraries it uses', async () => {
    const paths = await loadedBy('all-in-one', {});
    const packages = packagesIn(paths);
    expect(paths.some((p) => p.endsWith(join('dist', 'worker', 'worker.module.js')))).toBe(true);
    expect(packages.has('sharp')).toBe(true);
    // The local classifier is the default: the OpenAI SDK stays unloaded there too.
    expect(packages.has('openai')).toBe(false);
  });

  it('package.json and the container entrypoint start the server with the flags tests and benchmarks use', () => {
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    const flags = SERVER_NODE_FLAGS.join(' ');
    expect(scripts['start:server']).toBe(`node ${flags} dist/main.js`);
    expect(scripts.start).toContain(`node ${flags} dist/main.js`);
    expect(readFileSync(join(ROOT, 'docker', 'entrypoint.sh'), 'utf8')).toContain(
      `server) exec node ${flags} dist/main.js "$@"`,
    );
  });
});
