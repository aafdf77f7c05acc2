import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** Starts `node dist/main.js` with env and returns how it ended. */
function boot(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-boot-'));
  try {
    const run = spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: run.status, stderr: run.stderr };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('the server refuses to start on a wrong setting, saying which', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
  });

  it.each([
    [{ PORT: 'eighty' }, /Invalid configuration:\n {2}- PORT="eighty": .*PORT must be an integer number/],
    [{ DATA_DIR: '' }, /DATA_DIR="": .*should not be empty/],
    [{ OCR_PROVIDER: 'textract' }, /OCR_PROVIDER=textract needs AWS_REGION/],
    [{ OCR_PROVIDER: 'tesseract', OCR_LANGUAGES: 'eng+xyz' }, /needs the npm package @tesseract.js-data\/xyz/],
    [{ CATEGORIES_FILE: '/nonexistent/categories.yaml' }, /Invalid categories file \/nonexistent\/categories.yaml/],
    [
      { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATABASE_BOOT_TIMEOUT_SECONDS: '1' },
      /cannot open DATABASE_URL: connect ECONNREFUSED .*\(gave up after \d+ tries in 1 s/,
    ],
    [
      { MIGRATE_ON_BOOT: 'maybe' },
      /MIGRATE_ON_BOOT="maybe": MIGRATE_ON_BOOT must be one of the following values: true, false/,
    ],
    [
      { DATABASE_BOOT_TIMEOUT_SECONDS: '-1' },
      /DATABASE_BOOT_TIMEOUT_SECONDS=-1: DATABASE_BOOT_TIMEOUT_SECONDS must not be less than 0/,
    ],
  ])('%o', (env, message) => {
    const { status, stderr } = boot(env);
    expect(status).toBe(1);
    expect(stderr).toMatch(/Doc Inbox cannot start: /);
    expect(stderr).toMatch(message);
  });
});
