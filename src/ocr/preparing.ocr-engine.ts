import { DocumentError } from '../common/document-error';
import { throwIfAborted } from '../common/abort';
import { OcrEngine, OcrPageInput, OcrPageResult, ScannedPdf } from './ocr-engine.port';
import { isPoorReading, PoorReadingRule, readingScore } from './orientation.heuristic';
import { Preparation, preparePage } from './page-preparation';

export interface PreparationSettings {
  /** How every page image is prepared before its first reading. */
  first: Preparation;
  /** Tried in order while the best reading so far is poor; the best reading is kept. */
  retries: readonly Preparation[];
  /** What counts as poor for this engine. */
  poor: PoorReadingRule;
  /** No retry starts once a page has been in work this long (a dense page reads slowly). */
  retryBudgetMs: number;
}

/**
 * A local engine behind image preparation (page-preparation): every page image is prepared before
 * it is read, and a page that reads poorly is read once more, prepared another way. PDFs handed
 * over whole (Textract) pass untouched.
 */
export class PreparingOcrEngine extends OcrEngine {
  constructor(
    private readonly inner: OcrEngine,
    private readonly settings: PreparationSettings,
  ) {
    super();
  }

  get source(): OcrEngine['source'] {
    return this.inner.source;
  }

  get pdfPageInput(): OcrEngine['pdfPageInput'] {
    return this.inner.pdfPageInput;
  }

  get parallelism(): number {
    return this.inner.parallelism;
  }

  get maxInputBytes(): number {
    return this.inner.maxInputBytes;
  }

  /** The engine that reads (tests and figures). */
  get engine(): OcrEngine {
    return this.inner;
  }

  async recognize(page: OcrPageInput, signal: AbortSignal): Promise<OcrPageResult> {
    if (page.kind !== 'image') return this.inner.recognize(page, signal);
    const { first, retries, poor, retryBudgetMs } = this.settings;
    const started = performance.now();
    let best = await this.read(await prepare(page.bytes, first), signal);
    for (const preparation of retries) {
      if (!isPoorReading(best, poor) || performance.now() - started > retryBudgetMs) break;
      throwIfAborted(signal);
      const prepared = await prepare(page.bytes, preparation);
      // A preparation that left the page as it was (a level page needs no deskewing) reads the same.
      if (prepared === page.bytes) continue;
      const reading = await this.read(prepared, signal);
      if (readingScore(reading) > readingScore(best)) best = reading;
    }
    return best;
  }

  override readsWholeDocument(scan: ScannedPdf): boolean {
    return this.inner.readsWholeDocument(scan);
  }

  override recognizeDocument(pdf: Uint8Array, signal: AbortSignal): Promise<OcrPageResult[]> {
    return this.inner.recognizeDocument(pdf, signal);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private read(png: Uint8Array, signal: AbortSignal): Promise<OcrPageResult> {
    return this.inner.recognize({ kind: 'image', bytes: png, contentType: 'image/png' }, signal);
  }
}

async function prepare(bytes: Uint8Array, preparation: Preparation): Promise<Uint8Array> {
  try {
    return await preparePage(bytes, preparation);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DocumentError('corrupt_image', `The page image could not be prepared for OCR: ${message}`);
  }
}
