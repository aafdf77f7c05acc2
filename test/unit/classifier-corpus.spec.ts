import { loadTaxonomy } from '../../src/classifier/taxonomy.loader';
import { describeWithCorpus } from '../support/corpus';
import {
  accuracy,
  corpusTextPdfs,
  perClass,
  predictLeaveOneGroupOut,
  predictZeroShot,
  type CorpusText,
} from './classifier-corpus.support';

const DEFAULT_CATEGORIES = loadTaxonomy().categories;

/**
 * Accuracy of the local classifier on the corpus's 36 text PDFs (their own text layer; no OCR,
 * so this stays fast). Images and scanned PDFs need minutes of tesseract OCR: the bench measures
 * them (bench/classifier.bench.ts, with an OCR text cache outside the repository).
 * Measured with the five-language taxonomy: 91.7% taxonomy-only, 91.7% leave-one-group-out (94.4%
 * with the English-only one); npm run bench:accuracy has the per-class figures. The floors leave room
 * for one document of drift, not for a broken model.
 */
describeWithCorpus('LocalClassifier on the corpus text PDFs', () => {
  let docs: CorpusText[];

  beforeAll(async () => {
    docs = await corpusTextPdfs();
  }, 60_000);

  function report(name: string, predictions: Awaited<ReturnType<typeof predictZeroShot>>): void {
    const lines = [...perClass(predictions)].map(
      ([label, r]) =>
        `  ${label.padEnd(17)} ${r.correct}/${r.total}${r.misses.length ? `  misses: ${r.misses.join('; ')}` : ''}`,
    );
    console.info(`${name}: ${(accuracy(predictions) * 100).toFixed(1)}% of ${predictions.length}\n${lines.join('\n')}`);
  }

  it('reads every text PDF', () => {
    expect(docs).toHaveLength(36);
    expect(docs.every((d) => d.text.length > 20)).toBe(true);
  });

  it('labels at least 88% right from the taxonomy alone (no corrections)', async () => {
    const predictions = await predictZeroShot(docs, DEFAULT_CATEGORIES);
    report('taxonomy only', predictions);
    expect(accuracy(predictions)).toBeGreaterThanOrEqual(0.88);
  });

  it('labels at least 88% right with the other documents as corrections (leave one group out)', async () => {
    const predictions = await predictLeaveOneGroupOut(docs, DEFAULT_CATEGORIES);
    report('leave-one-group-out', predictions);
    expect(accuracy(predictions)).toBeGreaterThanOrEqual(0.88);
    // Every class the text PDFs hold is mostly right, not just the big ones.
    for (const [label, r] of perClass(predictions)) {
      expect({ label, ok: r.correct / r.total >= 0.5 }).toEqual({ label, ok: true });
    }
  });
});
