import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..');
const CLIENT = join(ROOT, 'clients', 'typescript');
const GENERATOR = join(ROOT, 'node_modules', '@hey-api', 'openapi-ts', 'bin', 'run.js');
const FIX = 'run npm run openapi && npm run sdk:generate, and commit clients/typescript/src';

/** Every file under dir, by its path relative to dir, with its bytes. */
function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

describe('the committed TypeScript client (clients/typescript/src)', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'doc-inbox-client-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is what the pinned generator makes from the committed openapi.json', async () => {
    // The client's own configuration, with only the output folder moved.
    await promisify(execFile)(process.execPath, [GENERATOR, '-f', 'openapi-ts.config.mjs', '-o', out, '-s'], {
      cwd: CLIENT,
    });
    const generated = tree(out);
    const committed = tree(join(CLIENT, 'src'));
    const differing = [...new Set([...generated.keys(), ...committed.keys()])]
      .filter((name) => !generated.get(name)?.equals(committed.get(name) ?? Buffer.alloc(0)) || !committed.has(name))
      .sort();
    if (differing.length > 0) {
      throw new Error(`the client is stale (${differing.join(', ')} differ): ${FIX}`);
    }
    expect(generated.size).toBeGreaterThan(0);
    expect([...generated.keys()]).toContain('sdk.gen.ts');
  });
});
