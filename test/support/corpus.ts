import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * ../shared/corpus beside the repository (CORPUS_DIR overrides); absent on a fresh clone.
 * Found by walking up, so compiled copies (dist-bench/) find it too.
 */
export const CORPUS_DIR =
  process.env.CORPUS_DIR ?? findCorpus() ?? resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

function findCorpus(): string | undefined {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'corpus');
    if (existsSync(join(candidate, 'manifest.csv'))) return candidate;
  }
  return undefined;
}
export const hasCorpus = existsSync(join(CORPUS_DIR, 'manifest.csv'));

export interface CorpusEntry {
  file: string;
  label: string;
  kind: string;
  /** The repository the file came from (manifest's source_repo): the unit of leave-one-source-out. */
  source: string;
  path: string;
}

export function corpusManifest(): CorpusEntry[] {
  const [header, ...lines] = readFileSync(join(CORPUS_DIR, 'manifest.csv'), 'utf8').trim().split('\n');
  const cols = header.split(',');
  const fileIdx = cols.indexOf('file');
  const labelIdx = cols.indexOf('label');
  const kindIdx = cols.indexOf('kind');
  const sourceIdx = cols.indexOf('source_repo');
  return lines.map((line) => {
    // Only the license column may hold commas, and file/label/source_repo come first; kind is last.
    const cells = line.split(',');
    const file = cells[fileIdx];
    return {
      file,
      label: cells[labelIdx],
      kind: cells[cells.length - 1] ?? cells[kindIdx],
      source: cells[sourceIdx],
      path: join(CORPUS_DIR, file),
    };
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
