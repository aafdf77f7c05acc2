import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** ../shared/corpus beside the repository; absent on a fresh clone. */
export const CORPUS_DIR = resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
export const hasCorpus = existsSync(join(CORPUS_DIR, 'manifest.csv'));

export interface CorpusEntry {
  file: string;
  label: string;
  kind: string;
  path: string;
}

export function corpusManifest(): CorpusEntry[] {
  const [header, ...lines] = readFileSync(join(CORPUS_DIR, 'manifest.csv'), 'utf8').trim().split('\n');
  const cols = header.split(',');
  const fileIdx = cols.indexOf('file');
  const labelIdx = cols.indexOf('label');
  const kindIdx = cols.indexOf('kind');
  return lines.map((line) => {
    // Only the license column may hold commas, and file/label come first; kind is last.
    const cells = line.split(',');
    const file = cells[fileIdx];
    return { file, label: cells[labelIdx], kind: cells[cells.length - 1] ?? cells[kindIdx], path: join(CORPUS_DIR, file) };
  });
}

/** describe() when the corpus is present, else a skipped describe with a printed notice. */
export function describeWithCorpus(name: string, fn: () => void): void {
  if (hasCorpus) {
    describe(name, fn);
  } else {
    console.warn(`[corpus] ${CORPUS_DIR} not found: skipping "${name}"`);
    describe.skip(name, fn);
  }
}
