import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../src/config/app-config';
import { createOcrComponents } from '../src/ocr/ocr.factory';
import { CORPUS_DIR, hasCorpus } from '../test/support/corpus';

/**
 * OCR character error rate on the corpus's SROIE receipts (fields/manifest.csv, source
 * ICDAR-2019-SROIE): each image read by the project's extractor with TesseractOcrEngine, compared
 * with the dataset's own transcripts (<name>.boxes.csv, one line a row, last column) after
 * collapsing whitespace on both sides. CER = sum of edit distances / sum of reference lengths.
 * Minimal version (tesseract only); the OCR work replaces it with one that covers every engine.
 */
export async function measureCer(): Promise<Record<string, number>> {
  if (!hasCorpus) return {};
  const receipts = sroieReceipts();
  const config = AppConfig.fromEnvironment({ OCR_PROVIDER: 'tesseract', OCR_LANGUAGES: 'eng' });
  const { extractor, engine } = createOcrComponents(config);
  let distance = 0;
  let length = 0;
  try {
    for (const r of receipts) {
      const result = await extractor.extract({
        bytes: new Uint8Array(readFileSync(r.image)),
        contentType: 'image/jpeg',
        filename: r.image,
        signal: AbortSignal.timeout(300_000),
      });
      const hypothesis = collapse(result.pages.map((p) => p.text).join(' '));
      const reference = collapse(transcript(r.boxes));
      distance += levenshtein(hypothesis, reference);
      length += reference.length;
    }
  } finally {
    await engine?.close();
  }
  return { tesseract: length === 0 ? 0 : distance / length };
}

function sroieReceipts(): Array<{ image: string; boxes: string }> {
  const [header, ...lines] = readFileSync(join(CORPUS_DIR, 'fields', 'manifest.csv'), 'utf8')
    .trim()
    .split('\n');
  const cols = header.split(',');
  const file = cols.indexOf('file');
  const truth = cols.indexOf('truth');
  const source = cols.indexOf('source_repo');
  return lines
    .map((line) => line.split(','))
    .filter((cells) => cells[source].includes('SROIE'))
    .map((cells) => ({
      image: join(CORPUS_DIR, cells[file]),
      boxes: join(CORPUS_DIR, cells[truth].replace(/\.json$/, '.boxes.csv')),
    }));
}

/** The transcripts of a boxes file: everything after the eight corner coordinates of each row. */
function transcript(path: string): string {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((row) => row.split(',').slice(8).join(','))
    .join('\n');
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Edit distance with two rows of the dynamic-programming table (receipts are ~1,000 characters). */
function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j] + 1, current[j - 1] + 1);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}
