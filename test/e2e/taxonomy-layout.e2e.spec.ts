import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The built-in taxonomy is a YAML file: the build copies it into dist/, so a production image
 * that ships only dist/, package.json, node_modules and supabase/ (see the Dockerfile) finds it.
 */
describe('the built-in taxonomy in a production layout', () => {
  it('is found and read from dist/ alone', () => {
    if (!existsSync(join(ROOT, 'dist', 'main.js')))
      throw new Error('dist/ is missing: run npm run build (npm test does)');
    const app = mkdtempSync(join(tmpdir(), 'doc-inbox-layout-'));
    try {
      for (const part of ['dist', 'package.json', 'supabase'])
        cpSync(join(ROOT, part), join(app, part), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
      const run = spawnSync(
        process.execPath,
        [
          '-e',
          "const t = require('./dist/classifier/taxonomy.loader.js'); console.log(JSON.stringify({ file: t.defaultTaxonomyFile(), ids: t.loadTaxonomy().categories.map((c) => c.id) }))",
        ],
        { cwd: app, encoding: 'utf8', timeout: 30_000 },
      );
      expect(run.stderr).toBe('');
      const out = JSON.parse(run.stdout) as { file: string; ids: string[] };
      expect(out.file).toBe(join(app, 'dist', 'classifier', 'default-taxonomy.yaml'));
      expect(out.ids).toEqual(expect.arrayContaining(['invoice', 'receipt', 'form', 'id_document']));
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
