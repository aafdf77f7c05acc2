/**
 * OCR character error rate on the SROIE receipts of the shared corpus (fields/sroie), per local
 * engine, through the production pipeline (createOcrComponents: image preparation, orientation,
 * retries), so the figure is what a user of the service gets.
 *
 * Reference: the dataset's own transcripts (<name>.boxes.csv), one text line a box, put in reading
 * order. CER = Levenshtein(hypothesis, reference) / reference length, both case-folded with
 * whitespace collapsed to one space.
 *
 * Readings are cached per engine and per version of src/ocr (a hash of its sources) in
 * bench/results/, so a second run, or the accuracy bench importing measureCer(), costs no OCR.
 * OCR_CER_FRESH=1 ignores the cache; OCR_CER_ENGINES=tesseract,paddle picks the engines.
 *
 * `npm run bench:cer` prints per-file and mean CER per engine and mean seconds per page; the last
 * line is one JSON object.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { distance } from 'fastest-levenshtein';
import { fileTypeFromBuffer } from 'file-type';
import { AppConfig } from '../src/config/app-config';
import { createOcrComponents } from '../src/ocr/ocr.factory';
import { CORPUS_DIR, hasCorpus } from '../test/support/corpus';

/** Engines measured, by the OCR_PROVIDER value that selects them. */
export const CER_ENGINES = ['tesseract', 'paddle'] as const;
export type CerEngine = (typeof CER_ENGINES)[number];

export interface CerReceipt {
  name: string;
  image: string;
  boxes: string;
}

export interface CerReading {
  text: string;
  seconds: number;
  warnings: string[];
}

export interface CerFileResult {
  name: string;
  cer: number;
  chars: number;
  seconds: number;
}

export interface CerEngineReport {
  engine: string;
  files: CerFileResult[];
  meanCer: number;
  meanSecondsPerPage: number;
}

/** The SROIE receipts listed in fields/manifest.csv whose transcripts exist. */
export function sroieReceipts(corpusDir = CORPUS_DIR): CerReceipt[] {
  const manifest = join(corpusDir, 'fields', 'manifest.csv');
  if (!existsSync(manifest)) return [];
  const [header, ...lines] = readFileSync(manifest, 'utf8').trim().split('\n');
  const cols = header.split(',');
  const fileIdx = cols.indexOf('file');
  const truthIdx = cols.indexOf('truth');
  const repoIdx = cols.indexOf('source_repo');
  const receipts: CerReceipt[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    if (!/sroie/i.test(cells[repoIdx] ?? '')) continue;
    const boxes = join(corpusDir, cells[truthIdx].replace(/\.json$/, '.boxes.csv'));
    const image = join(corpusDir, cells[fileIdx]);
    if (!existsSync(boxes) || !existsSync(image)) continue;
    receipts.push({ name: cells[fileIdx].split('/').pop() ?? cells[fileIdx], image, boxes });
  }
  return receipts;
}

interface Box {
  top: number;
  bottom: number;
  left: number;
  text: string;
}

/**
 * The transcript of a receipt in reading order: boxes grouped into lines (a box joins the line
 * when its vertical centre lies within the line's band), lines top to bottom, boxes left to right.
 */
export function transcript(boxesCsv: string): string {
  const boxes: Box[] = [];
  for (const row of boxesCsv.split(/\r?\n/)) {
    const cells = row.split(',');
    if (cells.length < 9) continue;
    const coords = cells.slice(0, 8).map(Number);
    if (coords.some((n) => !Number.isFinite(n))) continue;
    const ys = [coords[1], coords[3], coords[5], coords[7]];
    const xs = [coords[0], coords[2], coords[4], coords[6]];
    // The transcript itself may hold commas.
    boxes.push({
      top: Math.min(...ys),
      bottom: Math.max(...ys),
      left: Math.min(...xs),
      text: cells.slice(8).join(','),
    });
  }
  boxes.sort((a, b) => a.top + a.bottom - (b.top + b.bottom));
  const lines: Box[][] = [];
  for (const box of boxes) {
    const centre = (box.top + box.bottom) / 2;
    const line = lines[lines.length - 1];
    if (line && centre >= line[0].top && centre <= line[0].bottom) line.push(box);
    else lines.push([box]);
  }
  return lines
    .map((line) =>
      line
        .sort((a, b) => a.left - b.left)
        .map((box) => box.text)
        .join(' '),
    )
    .join('\n');
}

/** Case-folded, whitespace collapsed: what CER compares. */
export function normaliseForCer(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

export function characterErrorRate(hypothesis: string, reference: string): number {
  const hyp = normaliseForCer(hypothesis);
  const ref = normaliseForCer(reference);
  if (ref.length === 0) return hyp.length === 0 ? 0 : 1;
  return distance(hyp, ref) / ref.length;
}

/** Folder holding package.json (the repository), found by walking up: works from dist-bench/ too. */
function repositoryRoot(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'ocr'))) return dir;
  }
  throw new Error('cannot find the repository root from ' + __dirname);
}

/** A hash of every source file under src/ocr and src/config: a change of pipeline is a new cache. */
function pipelineVersion(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) hash.update(name).update(readFileSync(path));
    }
  };
  walk(join(root, 'src', 'ocr'));
  walk(join(root, 'src', 'config'));
  return hash.digest('hex').slice(0, 12);
}

type Cache = Record<string, CerReading>;

function cachePath(root: string, engine: string, cacheName: string): string {
  return join(root, 'bench', 'results', `${cacheName}-${engine}-${pipelineVersion(root)}.json`);
}

function loadCache(path: string): Cache {
  if (process.env.OCR_CER_FRESH === '1' || !existsSync(path)) return {};
  return JSON.parse(readFileSync(path, 'utf8')) as Cache;
}

/** An image to read: its cache key and its path. */
export interface ImageToRead {
  name: string;
  image: string;
}

/**
 * Reads every image with one engine through the production extractor, one page at a time (so
 * seconds are per-page latency), caching the readings in bench/results/<cacheName>-<engine>-<hash>.
 */
export async function readImages(
  engine: string,
  images: ImageToRead[],
  log: (line: string) => void = () => undefined,
  cacheName = 'ocr-cer',
): Promise<Map<string, CerReading>> {
  const root = repositoryRoot();
  const path = cachePath(root, engine, cacheName);
  const cache = loadCache(path);
  const missing = images.filter((r) => !cache[r.name]);
  if (missing.length > 0) {
    const config = AppConfig.fromEnvironment({ OCR_PROVIDER: engine, OCR_WORKERS: '1', LOG_LEVEL: 'silent' });
    const { extractor, engine: ocr } = createOcrComponents(config);
    try {
      for (const receipt of missing) {
        const bytes = new Uint8Array(readFileSync(receipt.image));
        const contentType = (await fileTypeFromBuffer(bytes))?.mime ?? 'application/octet-stream';
        const start = performance.now();
        const result = await extractor.extract({
          bytes,
          contentType,
          filename: receipt.name,
          signal: AbortSignal.timeout(600_000),
        });
        const seconds = (performance.now() - start) / 1000 / Math.max(1, result.pages.length);
        cache[receipt.name] = { text: result.pages.map((p) => p.text).join('\n'), seconds, warnings: result.warnings };
        log(`  read ${engine} ${receipt.name} in ${seconds.toFixed(1)} s`);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, JSON.stringify(cache, null, 1));
      }
    } finally {
      await ocr?.close();
    }
  }
  return new Map(images.map((r) => [r.name, cache[r.name]]));
}

export async function cerReport(
  engine: string,
  receipts: CerReceipt[],
  log?: (line: string) => void,
): Promise<CerEngineReport> {
  const readings = await readImages(engine, receipts, log);
  const files = receipts.map((receipt): CerFileResult => {
    const reading = readings.get(receipt.name) as CerReading;
    const reference = transcript(readFileSync(receipt.boxes, 'utf8'));
    return {
      name: receipt.name,
      cer: characterErrorRate(reading.text, reference),
      chars: normaliseForCer(reading.text).length,
      seconds: reading.seconds,
    };
  });
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    engine,
    files,
    meanCer: mean(files.map((f) => f.cer)),
    meanSecondsPerPage: mean(files.map((f) => f.seconds)),
  };
}

function enginesToMeasure(): string[] {
  const wanted = process.env.OCR_CER_ENGINES?.split(',').filter(Boolean);
  return wanted && wanted.length > 0 ? wanted : [...CER_ENGINES];
}

/**
 * Engine name -> mean CER on the SROIE receipts (empty when the corpus is absent). Used by the
 * accuracy bench; readings come from the cache when the pipeline has not changed.
 */
export async function measureCer(): Promise<Record<string, number>> {
  const receipts = sroieReceipts();
  const out: Record<string, number> = {};
  for (const engine of enginesToMeasure()) out[engine] = round((await cerReport(engine, receipts)).meanCer);
  return out;
}

function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

async function main(): Promise<void> {
  if (!hasCorpus) {
    console.log(`[corpus] ${CORPUS_DIR} not found: no CER measured`);
    console.log(JSON.stringify({ cer: {}, seconds_per_page: {} }));
    return;
  }
  const receipts = sroieReceipts();
  console.log(`# OCR character error rate, ${receipts.length} SROIE receipts (${new Date().toISOString()})`);
  const cer: Record<string, number> = {};
  const secondsPerPage: Record<string, number> = {};
  for (const engine of enginesToMeasure()) {
    const report = await cerReport(engine, receipts, (line) => console.log(line));
    console.log(`\n## ${engine}`);
    for (const file of report.files) {
      console.log(
        `${file.name.padEnd(20)} CER ${file.cer.toFixed(3)}  ${String(file.chars).padStart(5)} chars  ${file.seconds.toFixed(1)} s`,
      );
    }
    console.log(`mean CER ${report.meanCer.toFixed(4)}, ${report.meanSecondsPerPage.toFixed(2)} s/page`);
    cer[engine] = round(report.meanCer);
    secondsPerPage[engine] = Math.round(report.meanSecondsPerPage * 100) / 100;
  }
  console.log(JSON.stringify({ cer, seconds_per_page: secondsPerPage }));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
