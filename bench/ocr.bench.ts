/**
 * OCR benchmark: throughput and peak RSS of the text-layer path, local OCR (tesseract, PaddleOCR) with 1 and N workers,
 * Textract against the loopback server, and the hostile files of the corpus.
 * Build with tsc (tsconfig.bench.json) and call runOcrBench(); figures go to stdout.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { TextractClient } from '@aws-sdk/client-textract';
import { fileTypeFromBuffer } from 'file-type';
import { DocumentError } from '../src/common/document-error';
import { DEFAULT_PADDLE_SETTINGS, PaddleOcrEngine } from '../src/ocr/paddle.ocr-engine';
import { PdfThreadPool } from '../src/ocr/pdf/pdf-thread-pool';
import { TesseractOcrEngine } from '../src/ocr/tesseract.ocr-engine';
import { TextExtractor } from '../src/ocr/text-extractor.port';
import { TextractExtractor } from '../src/ocr/textract.extractor';
import { CORPUS_DIR, hasCorpus } from '../test/support/corpus';
import { FakeTextractServer } from '../test/support/fake-textract.server';
import { buildExtractor, buildLocalExtractor } from '../test/support/ocr-extractor.builder';
import { textImagePng, textPdf } from '../test/support/ocr-fixtures';

const MB = 1024 * 1024;
const OCR_IMAGES = [
  'receipt/rcp_sroie_005.jpg',
  'receipt/rcp_sroie_047.jpg',
  'invoice/inv_simple.png',
  'form/frm_tax_1040.png',
  'resume/res_table_simple.png',
  'invoice/inv_contoso_de.png',
];

interface Doc {
  name: string;
  bytes: Uint8Array;
  contentType: string;
  /** Whose document: PDFs of one owner reuse a warm PDF thread when the extractor has a pool. */
  owner?: string;
}

/** Runs fn while sampling RSS every 10 ms; returns its duration and the peak RSS seen. */
async function measure<T>(
  fn: () => Promise<T>,
): Promise<{ value: T | DocumentError; ms: number; peakRssMb: number; baseRssMb: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const start = performance.now();
  let value: T | DocumentError;
  try {
    value = await fn();
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    value = error;
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return { value, ms: performance.now() - start, peakRssMb: peak / MB, baseRssMb: base / MB };
}

async function pagesPerSecond(
  extractor: TextExtractor,
  docs: Doc[],
  concurrency: number,
  perFile?: Map<string, number>,
): Promise<string> {
  let pages = 0;
  const queue = [...docs];
  const { ms, peakRssMb } = await measure(() =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let doc = queue.shift(); doc; doc = queue.shift()) {
          const start = performance.now();
          const result = await extractor.extract({ ...doc, filename: doc.name, signal: AbortSignal.timeout(300_000) });
          perFile?.set(doc.name, performance.now() - start);
          pages += result.pages.length;
        }
      }),
    ),
  );
  return `${pages} pages in ${(ms / 1000).toFixed(2)} s = ${((pages * 1000) / ms).toFixed(2)} pages/s, peak RSS ${peakRssMb.toFixed(0)} MB`;
}

function corpusDoc(file: string, contentType: string): Doc {
  return { name: file, bytes: new Uint8Array(readFileSync(join(CORPUS_DIR, file))), contentType };
}

async function benchTextLayer(): Promise<void> {
  const pdf = await textPdf(
    Array.from({ length: 20 }, (_, i) => `Page ${i + 1}\nA digital statement line with an amount of ${i * 10}.00 EUR`),
  );
  const extractor = buildExtractor(null);
  await extractor.extract({
    bytes: pdf,
    contentType: 'application/pdf',
    filename: 'warm-up',
    signal: AbortSignal.timeout(60_000),
  });
  console.log(
    `text layer, 20-page digital PDF x5: ${await pagesPerSecond(extractor, Array(5).fill({ name: '20p', bytes: pdf, contentType: 'application/pdf' }), 1)}`,
  );
  // One-page PDFs, the common upload, two at a time: a new PDF thread for each (as without an
  // owner) against the owner's warm threads (as the worker reads them).
  const onePage = await textPdf(['An invoice with one page of digital text, total due 120.00 EUR']);
  const pool = new PdfThreadPool();
  const readers: [string, TextExtractor, string | undefined][] = [
    ['a new thread each', extractor, undefined],
    ['warm threads', buildExtractor(null, {}, pool), 'bench'],
  ];
  for (const [label, reader, owner] of readers) {
    const docs = Array<Doc>(100).fill({ name: '1p', bytes: onePage, contentType: 'application/pdf', owner });
    console.log(
      `text layer, one-page digital PDF x100, 2 at a time, ${label}: ${await pagesPerSecond(reader, docs, 2)}`,
    );
  }
  await pool.close();
}

async function benchLocalOcr(name: 'tesseract' | 'paddle'): Promise<void> {
  const docs = hasCorpus
    ? OCR_IMAGES.map((f) => corpusDoc(f, f.endsWith('.jpg') ? 'image/jpeg' : 'image/png'))
    : Array.from({ length: 4 }, (_, i) => ({
        name: `generated-${i}`,
        bytes: textImagePng([`INVOICE ${i}`, 'TOTAL 10.00']),
        contentType: 'image/png',
      }));
  for (const workers of [1, availableParallelism()]) {
    const engine =
      name === 'tesseract'
        ? new TesseractOcrEngine({ languages: ['eng'], workers })
        : new PaddleOcrEngine({ workers, ...DEFAULT_PADDLE_SETTINGS });
    // As in the service: image preparation and retries in front of the engine.
    const extractor = buildLocalExtractor(engine);
    // Warm up every worker (they start on demand), so start-up is not counted below.
    await Promise.all(
      Array.from({ length: workers }, () =>
        extractor.extract({ ...docs[0], filename: 'warm-up', signal: AbortSignal.timeout(300_000) }),
      ),
    );
    const perFile = new Map<string, number>();
    console.log(
      `${name}, ${workers} worker(s), ${docs.length} images, ${workers} at a time: ${await pagesPerSecond(extractor, docs, workers, perFile)}`,
    );
    const times = [...perFile].map(([name, ms]) => `${name.replace(/^.*\//, '')} ${(ms / 1000).toFixed(1)} s`);
    console.log(`  per file: ${times.join(', ')}`);
    await engine.close();
  }
}

async function benchTextract(): Promise<void> {
  const server = new FakeTextractServer();
  const endpoint = await server.start();
  const client = new TextractClient({
    region: 'eu-west-1',
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
  });
  const engine = new TextractExtractor(client, { concurrency: 4, maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 });
  const docs = Array.from({ length: 20 }, (_, i) => ({
    name: `img-${i}`,
    bytes: textImagePng([`PAGE ${i}`]),
    contentType: 'image/png',
  }));
  console.log(`textract (loopback), 20 images, 4 at a time: ${await pagesPerSecond(buildExtractor(engine), docs, 4)}`);
  await engine.close();
  await server.stop();
}

async function benchBadFiles(): Promise<void> {
  if (!hasCorpus) return;
  const engine = new TesseractOcrEngine({ languages: ['eng'], workers: 1 });
  const extractor = buildExtractor(engine);
  for (const file of [
    'bad_zero_bytes.pdf',
    'bad_one_byte.png',
    'bad_header_only.pdf',
    'bad_truncated_trailer.pdf',
    'bad_junk_before_header.pdf',
    'bad_jpeg_named.pdf',
    'bad_corrupt.png',
    'bad_encrypted_user_pw.pdf',
    'bad_encrypted_paper.pdf',
    'bad_fake_page_count.pdf',
    'bad_619_pages.pdf',
    'bad_page_tree_cycle.pdf',
    'bad_deflate_bomb.pdf',
    'bad_35000px_image.pdf',
    'bad_20000px.png',
  ]) {
    const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, 'bad', file)));
    const contentType =
      (await fileTypeFromBuffer(bytes))?.mime ?? (file.endsWith('.pdf') ? 'application/pdf' : 'image/png');
    const { value, ms, peakRssMb, baseRssMb } = await measure(() =>
      extractor.extract({ bytes, contentType, filename: file, signal: AbortSignal.timeout(120_000) }),
    );
    const outcome =
      value instanceof DocumentError
        ? `error ${value.code}`
        : `${value.pages.length}/${value.pageCount} pages (${value.pages
            .map((p) => p.source)
            .filter((s, i, a) => a.indexOf(s) === i)
            .join(',')})`;
    console.log(
      `bad/${file}: ${outcome}, ${ms.toFixed(0)} ms, peak RSS ${peakRssMb.toFixed(0)} MB (+${(peakRssMb - baseRssMb).toFixed(0)} MB)`,
    );
  }
  // Closed so its worker does not count in the figures that follow.
  await engine.close();
}

/** `only`: run just these parts (text-layer, textract, bad, tesseract, paddle); all when empty. */
export async function runOcrBench(only: string[] = []): Promise<void> {
  const want = (part: string) => only.length === 0 || only.includes(part);
  console.log(`node ${process.version}, ${availableParallelism()} cores`);
  if (want('text-layer')) await benchTextLayer();
  if (want('textract')) await benchTextract();
  if (want('bad')) await benchBadFiles();
  if (want('tesseract')) await benchLocalOcr('tesseract');
  if (want('paddle')) await benchLocalOcr('paddle');
}

if (require.main === module) {
  runOcrBench(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
