import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../../src/config/app-config';
import { DocumentError } from '../../src/common/document-error';
import { createOcrComponents } from '../../src/ocr/ocr.factory';
import type { ExtractedPage } from '../../src/ocr/text-extractor.port';
import { corpusManifest, type CorpusEntry } from '../support/corpus';
import { corpusGroup, joinPages, type CorpusText } from './classifier-corpus.support';

/**
 * OCR text of the corpus's images and scanned PDFs, cached OUTSIDE the repository (the corpus
 * licences allow testing, not redistribution) as <dir>/<sha256 of the file>-<languages>.json, so
 * classifier work does not redo minutes of OCR. Texts come from the project's own extractor
 * (createOcrComponents with the chosen local engine), exactly what the worker would classify.
 */
export interface OcrCacheOptions {
  dir: string;
  /** OCR languages, joined by + (the production default is eng). */
  languages: string;
  /** The local engine: `auto` is what production picks for these languages (paddle for eng). */
  provider?: 'auto' | 'tesseract' | 'paddle';
  /** OCR files missing from the cache; when false they are skipped. */
  ocrMissing: boolean;
  log?: (line: string) => void;
}

interface CachedOcr {
  file: string;
  sha256: string;
  languages: string;
  pages: Array<Pick<ExtractedPage, 'number' | 'text' | 'confidence'>>;
  /** The DocumentError code when extraction failed: the document counts as text-less. */
  error: string | null;
}

export function needsOcr(entry: CorpusEntry): boolean {
  return entry.label !== 'bad' && (entry.kind === 'image' || entry.kind === 'scanned-pdf');
}

export function contentTypeOf(file: string): string {
  if (file.endsWith('.pdf')) return 'application/pdf';
  if (file.endsWith('.png')) return 'image/png';
  if (/\.tiff?$/.test(file)) return 'image/tiff';
  return 'image/jpeg';
}

export async function corpusOcrTexts(options: OcrCacheOptions): Promise<CorpusText[]> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.dir, { recursive: true });
  const entries = corpusManifest().filter(needsOcr);
  const provider = options.provider ?? 'auto';
  const cached = new Map<string, CachedOcr>();
  const missing: Array<{ entry: CorpusEntry; sha256: string; path: string }> = [];
  for (const entry of entries) {
    const sha256 = createHash('sha256').update(readFileSync(entry.path)).digest('hex');
    const path = join(options.dir, `${sha256}-${provider}-${options.languages}.json`);
    if (existsSync(path)) cached.set(entry.file, JSON.parse(readFileSync(path, 'utf8')) as CachedOcr);
    else missing.push({ entry, sha256, path });
  }
  if (missing.length > 0 && options.ocrMissing) {
    const config = AppConfig.fromEnvironment({ OCR_PROVIDER: provider, OCR_LANGUAGES: options.languages });
    const { extractor, engine } = createOcrComponents(config);
    try {
      // One file at a time: the engine already runs its workers in parallel over pages.
      for (const { entry, sha256, path } of missing) {
        const start = performance.now();
        const record: CachedOcr = { file: entry.file, sha256, languages: options.languages, pages: [], error: null };
        try {
          const result = await extractor.extract({
            bytes: new Uint8Array(readFileSync(entry.path)),
            contentType: contentTypeOf(entry.file),
            filename: entry.file,
            signal: AbortSignal.timeout(600_000),
          });
          record.pages = result.pages.map(({ number, text, confidence }) => ({ number, text, confidence }));
        } catch (e) {
          if (!(e instanceof DocumentError)) throw e;
          record.error = e.code;
        }
        writeFileSync(path, JSON.stringify(record));
        cached.set(entry.file, record);
        log(
          `  OCR ${entry.file}: ${((performance.now() - start) / 1000).toFixed(1)} s${record.error ? ` (${record.error})` : ''}`,
        );
      }
    } finally {
      await engine?.close();
    }
  } else if (missing.length > 0) {
    log(`  ${missing.length} files not in the OCR cache ${options.dir}: skipped`);
  }
  return entries
    .filter((e) => cached.has(e.file))
    .map((e) => {
      const record = cached.get(e.file)!;
      if (record.error) log(`  ${e.file}: OCR failed (${record.error}), counted as text-less`);
      return {
        file: e.file,
        label: e.label,
        group: corpusGroup(e.file),
        source: e.source,
        // The cache keeps no source: OCR'd pages carry a confidence, text-layer pages do not.
        pages: record.pages.map((p) => ({ ...p, source: p.confidence === null ? 'text-layer' : 'tesseract' })),
        text: joinPages(record.pages.map((p) => p.text)),
      };
    });
}
