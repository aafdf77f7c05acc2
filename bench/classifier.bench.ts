/**
 * Classifier benchmark: local classifier accuracy per class on the corpus (text PDFs always;
 * images and scanned PDFs through local OCR when their text is in the OCR cache, or
 * BENCH_CLASSIFIER_OCR=1 to OCR what is missing, which takes minutes),
 * local classifier speed, and the OpenAI adapter's own overhead per call against the loopback
 * Chat Completions server (SDK, prompt building, JSON, HTTP; no model time).
 * Build with tsc (tsconfig.bench.json) and call runClassifierBench(); figures go to stdout.
 */
import OpenAI from 'openai';
import type { ClassificationInput } from '../src/classifier/classifier.port';
import { loadTaxonomy } from '../src/classifier/taxonomy.loader';
import { LocalClassifier } from '../src/classifier/local.classifier';
import { OpenAIClassifier } from '../src/classifier/openai.classifier';
import { hasCorpus } from '../test/support/corpus';
import { completion, FakeOpenAIServer } from '../test/support/fake-openai.server';
import { corpusOcrTexts } from '../test/unit/classifier-corpus-ocr.support';
import {
  accuracy,
  corpusTextPdfs,
  perClass,
  predictLeaveOneGroupOut,
  predictZeroShot,
  type CorpusText,
  type Prediction,
} from '../test/unit/classifier-corpus.support';
import { ms, section, summary } from './stats';

const DEFAULT_CATEGORIES = loadTaxonomy().categories;

const categories = DEFAULT_CATEGORIES;

function input(text: string): ClassificationInput {
  return {
    pages: [{ number: 1, text, source: 'text-layer', confidence: null }],
    pageCount: 1,
    filename: 'bench.pdf',
    categories,
    signal: new AbortController().signal,
  };
}

function printAccuracy(name: string, predictions: Prediction[]): void {
  console.log(`${name}: ${(accuracy(predictions) * 100).toFixed(1)}% of ${predictions.length} documents`);
  for (const [label, r] of perClass(predictions)) {
    console.log(
      `  ${label.padEnd(17)} ${r.correct}/${r.total}${r.misses.length ? `   misses: ${r.misses.join('; ')}` : ''}`,
    );
  }
}

/**
 * Images and scanned PDFs through the project's extractor with tesseract, cached by file hash in
 * BENCH_CLASSIFIER_OCR_CACHE (default /tmp/doc-inbox-ocr-cache; never inside the repository).
 * BENCH_CLASSIFIER_OCR=1 OCRs what the cache lacks (minutes); without it only cached texts count.
 */
async function ocrTexts(): Promise<CorpusText[]> {
  const start = performance.now();
  const texts = await corpusOcrTexts({
    dir: process.env.BENCH_CLASSIFIER_OCR_CACHE ?? '/tmp/doc-inbox-ocr-cache',
    // The production defaults: OCR_LANGUAGES=eng, OCR_PROVIDER=auto (PaddleOCR without AWS).
    languages: process.env.BENCH_CLASSIFIER_OCR_LANGUAGES ?? 'eng',
    provider: (process.env.BENCH_CLASSIFIER_OCR_PROVIDER as 'auto' | 'tesseract' | 'paddle' | undefined) ?? 'auto',
    ocrMissing: process.env.BENCH_CLASSIFIER_OCR === '1',
    log: (line) => console.log(line),
  });
  console.log(
    `OCR text of ${texts.length} images and scanned PDFs in ${((performance.now() - start) / 1000).toFixed(0)} s`,
  );
  return texts;
}

async function benchAccuracy(): Promise<CorpusText[]> {
  if (!hasCorpus) {
    console.log('corpus not found: accuracy skipped');
    return [];
  }
  const pdfs = await corpusTextPdfs();
  printAccuracy('local, taxonomy only, text PDFs', await predictZeroShot(pdfs, categories));
  printAccuracy('local, leave-one-group-out, text PDFs', await predictLeaveOneGroupOut(pdfs, categories));
  const scanned = await ocrTexts();
  if (scanned.length === 0) {
    console.log(
      '(images and scanned PDFs: set BENCH_CLASSIFIER_OCR=1 to OCR them into the cache and measure them too)',
    );
    return pdfs;
  }
  printAccuracy('local, taxonomy only, OCR text', await predictZeroShot(scanned, categories));
  const all = [...pdfs, ...scanned];
  printAccuracy('local, taxonomy only, all labelled documents', await predictZeroShot(all, categories));
  printAccuracy('local, leave-one-group-out, all labelled documents', await predictLeaveOneGroupOut(all, categories));
  return all;
}

async function benchLocalSpeed(texts: string[]): Promise<void> {
  const docs =
    texts.length > 0
      ? texts
      : [
          'INVOICE Invoice number 1 Amount due 10.00 VAT',
          'Dear Sir, yours sincerely',
          'Account statement opening balance closing balance',
        ];
  const classifier = new LocalClassifier(null, categories);
  await classifier.classify(input(docs[0])); // trains the model once
  const rounds = Math.max(1, Math.ceil(2000 / docs.length));
  const chars = docs.reduce((n, d) => n + d.length, 0);
  const start = performance.now();
  for (let r = 0; r < rounds; r++) for (const d of docs) await classifier.classify(input(d));
  const seconds = (performance.now() - start) / 1000;
  const n = rounds * docs.length;
  console.log(
    `local classify: ${(n / seconds).toFixed(0)} docs/s over ${n} classifications ` +
      `(${docs.length} corpus texts, mean ${(chars / docs.length / 1000).toFixed(1)} kchars)`,
  );
  const short = input(
    docs
      .map((d) => d.slice(0, 2000))
      .join(' ')
      .slice(0, 2000),
  );
  const shortStart = performance.now();
  for (let i = 0; i < 5000; i++) await classifier.classify(short);
  console.log(`local classify, 2 kchar text: ${(5000 / ((performance.now() - shortStart) / 1000)).toFixed(0)} docs/s`);
}

async function benchOpenAIOverhead(): Promise<void> {
  const server = await FakeOpenAIServer.start();
  server.defaultReply = {
    status: 200,
    body: completion(JSON.stringify({ label: 'invoice', confidence: 0.9, reasons: ['title'] })),
  };
  try {
    const text = 'INVOICE Invoice number INV-1 Amount due 120.00 '.repeat(200);
    for (const concurrency of [1, 8]) {
      const client = new OpenAI({ apiKey: 'sk-bench', baseURL: server.baseURL, timeout: 10_000, maxRetries: 0 });
      const classifier = new OpenAIClassifier(client, {
        model: 'gpt-4o',
        maxInputTokens: 6000,
        concurrency,
        fewShotExamples: 0,
        maxCompletionTokens: 400,
      });
      await classifier.classify(input(text));
      const calls = 400;
      const samples: number[] = [];
      const start = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < calls) {
            const t = performance.now();
            await classifier.classify(input(text));
            samples.push(performance.now() - t);
          }
        }),
      );
      const s = summary(samples);
      const perSecond = calls / ((performance.now() - start) / 1000);
      console.log(
        `openai adapter overhead, ${concurrency} in flight: p50 ${ms(s.p50)}, p99 ${ms(s.p99)} per call, ${perSecond.toFixed(0)} calls/s (loopback, ~10 kchar prompt)`,
      );
    }
  } finally {
    await server.close();
  }
}

export async function runClassifierBench(): Promise<void> {
  section('Classifier');
  const docs = await benchAccuracy();
  await benchLocalSpeed(docs.map((d) => d.text).filter((t) => t.length > 0));
  await benchOpenAIOverhead();
}
