/**
 * `npm run bench:accuracy`: the local classifier's quality on the shared corpus, taxonomy only
 * and leave-one-source-out (manifest's source_repo: a document is never judged by a model that
 * saw a document of its source), with per-class precision/recall/F1, macro-F1, the confusion
 * matrix, expected calibration error and reliability plots (bench/results/), then OCR character
 * error rate per engine (bench/ocr-cer.ts). The last line is one JSON object with the headline
 * figures. Images and scanned PDFs are read through the project's OCR once and cached outside the
 * repository (BENCH_CLASSIFIER_OCR_CACHE, default /tmp/doc-inbox-ocr-cache).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  bestTypeConfidence,
  calibratedProbabilities,
  fitConfidence,
  fitTemperature,
  LOCAL_CALIBRATION,
  type LocalCalibration,
  type ScoredSample,
} from '../src/classifier/calibration';
import { OTHER } from '../src/classifier/taxonomy';
import { loadTaxonomy } from '../src/classifier/taxonomy.loader';
import { hasCorpus } from '../test/support/corpus';
import { corpusOcrTexts } from '../test/unit/classifier-corpus-ocr.support';
import {
  corpusTextPdfs,
  predictLeaveOneGroupOut,
  predictZeroShot,
  type CorpusText,
  type Prediction,
} from '../test/unit/classifier-corpus.support';
import {
  accuracyOf,
  confusion,
  expectedCalibrationError,
  macroF1,
  perClassFigures,
  reliabilityBins,
  type Judged,
  type ReliabilityBin,
} from './accuracy-metrics';
import { writeReliabilityPlot } from './accuracy-plot';
import { measureCer } from './ocr-cer';

const RESULTS_DIR = join(__dirname, '..', '..', 'bench', 'results');

interface Figures {
  macroF1: number;
  ece: number;
  perClassF1: Record<string, number>;
}

async function corpusDocuments(): Promise<CorpusText[]> {
  const pdfs = await corpusTextPdfs();
  const scanned = await corpusOcrTexts({
    dir: process.env.BENCH_CLASSIFIER_OCR_CACHE ?? '/tmp/doc-inbox-ocr-cache',
    // The production defaults: OCR_LANGUAGES=eng, OCR_PROVIDER=auto (PaddleOCR without AWS).
    languages: process.env.BENCH_CLASSIFIER_OCR_LANGUAGES ?? 'eng',
    provider: (process.env.BENCH_CLASSIFIER_OCR_PROVIDER as 'auto' | 'tesseract' | 'paddle' | undefined) ?? 'auto',
    ocrMissing: process.env.BENCH_ACCURACY_OCR !== '0',
    log: (line) => console.log(line),
  });
  return [...pdfs, ...scanned];
}

function judged(predictions: readonly Prediction[]): Judged[] {
  return predictions.map((p) => ({ truth: p.doc.label, label: p.result.label, confidence: p.result.confidence }));
}

/**
 * What a confidence claims: the probability that the best type is right, whether the answer is
 * that type or 'other' (the best type under the threshold, with that type's confidence). So
 * calibration is judged on the best type; a document with no text (confidence 0) on 'other'.
 */
function bestTypeJudged(
  predictions: readonly Prediction[],
  confidence = (p: Prediction) => p.result.confidence,
): Judged[] {
  return predictions.map((p) => {
    const best =
      p.result.confidence === 0 && p.result.label === OTHER ? undefined : p.ranking.find((r) => r.label !== OTHER);
    return { truth: p.doc.label, label: best?.label ?? OTHER, confidence: best ? confidence(p) : 0 };
  });
}

function samples(predictions: readonly Prediction[]): ScoredSample[] {
  return predictions
    .map((p) => ({ scores: p.ranking.map((r) => r.score), truth: p.ranking.findIndex((r) => r.label === p.doc.label) }))
    .filter((s) => s.truth >= 0);
}

/** Both calibration steps fitted on these predictions' scores (see calibration.ts). */
function fitCalibration(predictions: readonly Prediction[]): LocalCalibration {
  const temperature = fitTemperature(samples(predictions));
  const best = predictions
    .filter((p) => p.result.confidence > 0 || p.result.label !== OTHER)
    .map((p) => {
      const types = p.ranking.filter((r) => r.label !== OTHER);
      const probabilities = calibratedProbabilities(
        types.map((r) => r.score),
        { temperature },
      );
      return { probability: probabilities[0], score: types[0].score, right: types[0].label === p.doc.label };
    });
  return { temperature, ...fitConfidence(best) };
}

/** The best type's confidence for a prediction under a calibration. */
function confidenceUnder(p: Prediction, calibration: LocalCalibration): number {
  const types = p.ranking.filter((r) => r.label !== OTHER);
  const probabilities = calibratedProbabilities(
    types.map((r) => r.score),
    calibration,
  );
  return bestTypeConfidence(probabilities[0], types[0].score, calibration);
}

/**
 * ECE with the calibration fitted without the judged document's source (on the other sources'
 * leave-one-source-out scores): calibration judged on documents it never saw, like the classes.
 */
function crossFittedEce(predictions: readonly Prediction[]): { ece: number; bins: ReliabilityBin[] } {
  const out: Judged[] = [];
  for (const source of new Set(predictions.map((p) => p.doc.source))) {
    const calibration = fitCalibration(predictions.filter((p) => p.doc.source !== source));
    const held = predictions.filter((p) => p.doc.source === source);
    out.push(...bestTypeJudged(held, (p) => confidenceUnder(p, calibration)));
  }
  return { ece: expectedCalibrationError(out), bins: reliabilityBins(out) };
}

function report(name: string, slug: string, predictions: readonly Prediction[], classes: string[]): Figures {
  const all = judged(predictions);
  const figures = perClassFigures(all, classes);
  const calibration = bestTypeJudged(predictions);
  const ece = expectedCalibrationError(calibration);
  const macro = macroF1(figures);
  console.log(`\n## ${name}: ${predictions.length} documents, accuracy ${pct(accuracyOf(all))}`);
  console.log(`macro-F1 ${macro.toFixed(3)}   ECE (10 bins) ${ece.toFixed(3)}`);
  console.log(`${'class'.padEnd(17)} support precision recall   F1`);
  for (const f of figures) {
    console.log(
      `${f.label.padEnd(17)} ${String(f.support).padStart(7)} ${f.precision.toFixed(3).padStart(9)} ${f.recall.toFixed(3).padStart(6)} ${f.f1.toFixed(3).padStart(6)}`,
    );
  }
  const matrix = confusion(all, classes);
  const short = (label: string) => label.slice(0, 6);
  console.log(
    `confusion (rows: truth; columns: answer)\n${''.padEnd(17)}${matrix.columns.map((c) => short(c).padStart(7)).join('')}`,
  );
  for (const row of matrix.rows) {
    console.log(`${row.label.padEnd(17)}${row.counts.map((n) => String(n || '.').padStart(7)).join('')}`);
  }
  const bins = reliabilityBins(calibration);
  console.log('reliability of the best type: bin  count  mean confidence  share right');
  for (const b of bins.filter((b) => b.count > 0)) {
    console.log(
      `  [${b.from.toFixed(1)}, ${b.to.toFixed(1)}) ${String(b.count).padStart(4)}  ${b.confidence.toFixed(3).padStart(15)}  ${b.accuracy.toFixed(3).padStart(11)}`,
    );
  }
  const misses = predictions.filter((p) => p.result.label !== p.doc.label);
  if (misses.length > 0) {
    console.log('misses:');
    for (const p of misses) console.log(`  ${p.doc.file} -> ${p.result.label} (${p.result.confidence})`);
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const plot = join(RESULTS_DIR, `reliability-${slug}.png`);
  writeReliabilityPlot(plot, name, bins, ece);
  console.log(`reliability plot: ${plot}`);
  void all;
  return { macroF1: macro, ece, perClassF1: Object.fromEntries(figures.map((f) => [f.label, round(f.f1)])) };
}

async function main(): Promise<void> {
  if (!hasCorpus) {
    console.log('corpus not found: nothing to measure');
    console.log(
      JSON.stringify({ macro_f1: null, macro_f1_loso: null, ece_loso: null, cer: {}, per_class_f1_loso: {} }),
    );
    return;
  }
  console.log(`# Classification accuracy (node ${process.version}, ${new Date().toISOString()})`);
  const categories = loadTaxonomy(undefined).categories;
  const docs = await corpusDocuments();
  const classes = [...new Set(docs.map((d) => d.label))].sort();
  const sources = new Set(docs.map((d) => d.source));
  console.log(`${docs.length} labelled documents, ${classes.length} classes, ${sources.size} sources`);

  const zero = report('taxonomy only', 'taxonomy', await predictZeroShot(docs, categories), classes);
  const losoPredictions = await predictLeaveOneGroupOut(docs, categories, (d) => d.source);
  const loso = report('leave-one-source-out', 'loso', losoPredictions, classes);

  console.log('\n## Calibration (temperature scaling of the class scores)');
  const fitted = fitCalibration(losoPredictions);
  const show = (c: LocalCalibration) =>
    `temperature ${c.temperature.toFixed(4)}, slope ${c.slope.toFixed(3)}, scoreWeight ${c.scoreWeight.toFixed(3)}, bias ${c.bias.toFixed(3)}`;
  console.log(`fitted on all leave-one-source-out scores: ${show(fitted)}`);
  console.log(`stored in src/classifier/calibration.ts:   ${show(LOCAL_CALIBRATION)}`);
  const cross = crossFittedEce(losoPredictions);
  console.log(`ECE, leave-one-source-out, calibration cross-fitted without the judged source: ${cross.ece.toFixed(3)}`);
  writeReliabilityPlot(
    join(RESULTS_DIR, 'reliability-loso-crossfitted.png'),
    'LOSO, cross-fitted',
    cross.bins,
    cross.ece,
  );

  console.log('\n## OCR character error rate (SROIE receipts)');
  // BENCH_ACCURACY_CER=0 skips the minutes of OCR while tuning the classifier.
  const cer = process.env.BENCH_ACCURACY_CER === '0' ? {} : await measureCer();
  for (const [engine, rate] of Object.entries(cer)) console.log(`${engine}: ${rate.toFixed(3)}`);

  console.log(
    JSON.stringify({
      macro_f1: round(zero.macroF1),
      macro_f1_loso: round(loso.macroF1),
      ece_loso: round(cross.ece),
      cer: Object.fromEntries(Object.entries(cer).map(([k, v]) => [k, round(v)])),
      per_class_f1_loso: loso.perClassF1,
    }),
  );
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
