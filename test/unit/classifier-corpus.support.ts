import { readFileSync } from 'node:fs';
import { extractText, getDocumentProxy } from 'unpdf';
import type { Classification, ClassificationInput, ClassifierPage } from '../../src/classifier/classifier.port';
import { CorrectionStore, type Correction, type NewCorrection } from '../../src/classifier/correction-store.port';
import {
  DEFAULT_LOCAL_SETTINGS,
  LocalClassifier,
  type LocalClassifierSettings,
  type RankedType,
} from '../../src/classifier/local.classifier';
import type { Category } from '../../src/classifier/taxonomy';
import { TrainingExamples } from '../../src/classifier/training-examples';
import { corpusManifest } from '../support/corpus';

/** A labelled corpus document with its text. */
export interface CorpusText {
  file: string;
  label: string;
  /** Documents of one group are the same content in two forms: never split them across train/test. */
  group: string;
  /** The repository it came from (manifest's source_repo), for leave-one-source-out. */
  source: string;
  pages: ClassifierPage[];
  /** The pages joined the way the worker stores them. */
  text: string;
}

/** The corpus README's pairs: same content in two forms, or one statement inside another. */
const PAIRS: Record<string, string> = {
  'bank_statement/bst_kauri_3p.pdf': 'bank_statement/bst_kauri.pdf',
  'bank_statement/bst_kowhai_scanned.pdf': 'bank_statement/bst_kowhai.pdf',
  'letter/let_nietzsche_preview.jpg': 'letter/let_nietzsche.pdf',
  'letter/let_en_scanned.pdf': 'letter/let_en_camera.jpg',
};

/** Pages joined the way the worker's pipeline joins them. */
export function joinPages(pages: string[]): string {
  if (pages.length <= 1) return pages[0] ?? '';
  return pages.map((p, i) => `--- page ${i + 1} ---\n${p}`).join('\n\n');
}

/** The text PDFs of the corpus (their own text layer; no OCR), read with unpdf. */
export async function corpusTextPdfs(maxPages = 50): Promise<CorpusText[]> {
  const out: CorpusText[] = [];
  for (const entry of corpusManifest()) {
    if (entry.kind !== 'text-pdf' || entry.label === 'bad') continue;
    // verbosity 0: pdf.js would otherwise print font warnings for several corpus files.
    const pdf = await getDocumentProxy(new Uint8Array(readFileSync(entry.path)), { verbosity: 0 });
    const { text } = await extractText(pdf, { mergePages: false });
    const pages = text.slice(0, maxPages);
    out.push({
      file: entry.file,
      label: entry.label,
      group: PAIRS[entry.file] ?? entry.file,
      source: entry.source,
      pages: pages.map((t, i) => ({ number: i + 1, text: t, source: 'text-layer', confidence: null })),
      text: joinPages(pages),
    });
  }
  return out;
}

/** Ad-hoc texts (e.g. OCR output) under the same grouping rules. */
export function corpusGroup(file: string): string {
  return PAIRS[file] ?? file;
}

class ListCorrections extends CorrectionStore {
  constructor(private readonly rows: Correction[]) {
    super();
  }
  async record(_c: NewCorrection): Promise<Correction> {
    throw new Error('read-only');
  }
  async list(limit: number): Promise<Correction[]> {
    return this.rows.slice(0, limit);
  }
  async revision(): Promise<string> {
    return String(this.rows.length);
  }
}

export interface Prediction {
  doc: CorpusText;
  result: Classification;
  /** Every type of the taxonomy with its score and calibrated probability, best first. */
  ranking: RankedType[];
}

async function predict(classifier: LocalClassifier, doc: CorpusText, categories: readonly Category[]) {
  const request = input(doc, categories);
  return { doc, result: await classifier.classify(request), ranking: await classifier.rank(request) };
}

/** Taxonomy only: how the classifier does on a fresh install with no corrections. */
export async function predictZeroShot(
  docs: readonly CorpusText[],
  categories: readonly Category[],
  settings: LocalClassifierSettings = DEFAULT_LOCAL_SETTINGS,
): Promise<Prediction[]> {
  const classifier = new LocalClassifier(null, categories, settings);
  const out: Prediction[] = [];
  for (const doc of docs) out.push(await predict(classifier, doc, categories));
  return out;
}

/**
 * Leave-one-group-out: every other group's documents act as recorded corrections, the held-out
 * group is classified. Measures what corrections add without testing on training data.
 */
export async function predictLeaveOneGroupOut(
  docs: readonly CorpusText[],
  categories: readonly Category[],
  groupOf: (doc: CorpusText) => string = (d) => d.group,
  settings: LocalClassifierSettings = DEFAULT_LOCAL_SETTINGS,
): Promise<Prediction[]> {
  const out: Prediction[] = [];
  const at = new Date(0);
  for (const group of new Set(docs.map(groupOf))) {
    const rows: Correction[] = docs
      .filter((d) => groupOf(d) !== group)
      .map((d, i) => ({
        jobId: `train-${i}`,
        position: 0,
        filename: d.file,
        label: d.label,
        predictedLabel: null,
        text: d.text,
        createdAt: at,
        updatedAt: at,
      }));
    const classifier = new LocalClassifier(
      new TrainingExamples(new ListCorrections(rows), { refreshMs: 60_000, limit: 10_000 }),
      categories,
      settings,
    );
    for (const doc of docs.filter((d) => groupOf(d) === group)) {
      out.push(await predict(classifier, doc, categories));
    }
  }
  return out;
}

export function accuracy(predictions: readonly Prediction[]): number {
  return predictions.filter((p) => p.result.label === p.doc.label).length / predictions.length;
}

/** Per class: correct / total, and the misses. */
export function perClass(
  predictions: readonly Prediction[],
): Map<string, { correct: number; total: number; misses: string[] }> {
  const table = new Map<string, { correct: number; total: number; misses: string[] }>();
  for (const p of predictions) {
    const row = table.get(p.doc.label) ?? { correct: 0, total: 0, misses: [] };
    row.total++;
    if (p.result.label === p.doc.label) row.correct++;
    else row.misses.push(`${p.doc.file} -> ${p.result.label} (${p.result.confidence})`);
    table.set(p.doc.label, row);
  }
  return table;
}

function input(doc: CorpusText, categories: readonly Category[]): ClassificationInput {
  return {
    pages: doc.pages,
    pageCount: doc.pages.length,
    filename: doc.file.split('/').pop()!,
    categories,
    signal: new AbortController().signal,
  };
}
