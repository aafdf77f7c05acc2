import pLimit from 'p-limit';
import sharp from 'sharp';
import { DocumentError } from '../common/document-error';
import { raceAbort, throwIfAborted } from '../common/abort';
import { ImageNormalizer } from './image.normalizer';
import { OcrEngine, OcrPageInput, OcrPageResult } from './ocr-engine.port';
import { MIN_USABLE_CHARS, ORIENTATION_RULE, wordlikeShare } from './orientation.heuristic';
import { PdfSandbox, PdfSandboxLimits } from './pdf/pdf-sandbox';
import type { PdfThreadPool } from './pdf/pdf-thread-pool';
import { decodePlainText } from './plain-text.reader';
import { ExtractedPage, ExtractionInput, ExtractionResult, TextExtractor } from './text-extractor.port';
import { nonSpaceChars, textLayerCoversPage, textLayerMayBeThin, usableChars } from './text-layer.coverage';

export interface DocumentTextExtractorSettings {
  maxPages: number;
  /** Fewer non-space characters than this on a PDF page means "no usable text layer". */
  minTextLayerChars: number;
  /** Resolution scanned PDF pages are rasterised at (before the pixel cap). */
  renderDpi: number;
  /** Pixel cap of one rasterised page. */
  maxRenderPixels: number;
  pdf: PdfSandboxLimits;
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/tiff', 'image/webp']);

/**
 * The module's TextExtractor: routes by sniffed content type. Text layers and plain text are
 * read; only pages without text go to the OCR engine (or, with none, come back empty with a
 * warning). Pages are processed one at a time so a 100-page scan never sits in memory at once.
 */
export class DocumentTextExtractor extends TextExtractor {
  constructor(
    private readonly settings: DocumentTextExtractorSettings,
    private readonly images: ImageNormalizer,
    /** null when OCR is off ('none'). */
    private readonly ocr: OcrEngine | null,
    /** Warm PDF threads, reused for the same owner's next PDF; null starts a thread per PDF. */
    private readonly pdfThreads: PdfThreadPool | null = null,
  ) {
    super();
  }

  async extract(input: ExtractionInput): Promise<ExtractionResult> {
    throwIfAborted(input.signal);
    if (input.bytes.byteLength === 0) throw new DocumentError('empty_file', 'The file is empty');
    if (input.contentType === 'text/plain') return this.plainText(input);
    if (input.contentType === 'application/pdf') return this.pdf(input);
    if (IMAGE_TYPES.has(input.contentType)) return this.image(input);
    throw new DocumentError('unsupported_type', `Cannot read text from ${input.contentType} files`);
  }

  private plainText(input: ExtractionInput): ExtractionResult {
    const text = decodePlainText(input.bytes);
    return { pages: [{ number: 1, text, source: 'plain-text', confidence: null }], pageCount: 1, warnings: [] };
  }

  private async pdf(input: ExtractionInput): Promise<ExtractionResult> {
    const { signal } = input;
    const reuse =
      this.pdfThreads && input.owner !== undefined ? { pool: this.pdfThreads, owner: input.owner } : undefined;
    const pdf = await PdfSandbox.open(input.bytes, this.settings.pdf, signal, reuse);
    try {
      const pageCount = pdf.pageCount;
      const readable = Math.min(pageCount, this.settings.maxPages);
      const pages: ExtractedPage[] = [];
      const warnings: string[] = [];
      const scansWithoutOcr: number[] = [];
      const scanned: number[] = [];
      // Pages whose text layer may not cover them (a print header over a picture): OCR'd too.
      const layers = new Map<number, string>();
      // Text layers first: cheap, and it tells which pages need OCR at all.
      for (let number = 1; number <= readable; number++) {
        throwIfAborted(signal);
        const layer = await pdf.text(number);
        const hasLayer = nonSpaceChars(layer) >= this.settings.minTextLayerChars;
        if (hasLayer && (!this.ocr || !(await this.layerMayMissTheImage(pdf, number, layer)))) {
          pages.push({ number, text: layer, source: 'text-layer', confidence: null });
        } else if (!this.ocr) {
          scansWithoutOcr.push(number);
          pages.push({ number, text: layer, source: 'none', confidence: null });
        } else {
          scanned.push(number);
          if (hasLayer) layers.set(number, layer);
          pages.push({ number, text: layer, source: this.ocr.source, confidence: 0 });
        }
      }
      const ocr = this.ocr;
      if (ocr && scanned.length > 0) {
        const results = ocr.readsWholeDocument({ pages: scanned.length, bytes: input.bytes.byteLength })
          ? await this.scannedDocument(input.bytes, pdf, scanned, ocr, signal)
          : // At most `parallelism` page images exist at a time, whatever the page count.
            await withLimit(ocr.parallelism, scanned.length, async (i) => {
              throwIfAborted(signal);
              return raceAbort(ocr.recognize(await this.scannedPage(pdf, scanned[i - 1], ocr), signal), signal);
            });
        scanned.forEach((number, i) => {
          const result = results[i] ?? { text: '', confidence: 0 };
          const layer = layers.get(number);
          // Keep what reads better: the image's OCR or the layer that was there.
          if (layer !== undefined && usableChars(layer) >= usableChars(result.text)) {
            pages[number - 1] = { number, text: layer, source: 'text-layer', confidence: null };
            if (nonSpaceChars(result.text) === 0) {
              warnings.push(
                `page ${number}: OCR read no text from the page's image (blank or unreadable); its thin text layer was kept`,
              );
            }
            return;
          }
          pages[number - 1] = { number, text: result.text, source: ocr.source, confidence: result.confidence };
          const warning = unusableReadingWarning(number, result.text);
          if (warning) warnings.push(warning);
        });
      }
      if (scansWithoutOcr.length > 0) {
        warnings.push(`${pageList(scansWithoutOcr)} no text layer (a scan) and OCR is off, so no text was read there`);
      }
      if (pageCount > readable) warnings.push(skippedWarning(pageCount, readable));
      return { pages, pageCount, warnings };
    } finally {
      await pdf.close();
    }
  }

  /** A page with some text layer whose largest image covers much of it, and a thin layer. */
  private async layerMayMissTheImage(pdf: PdfSandbox, number: number, layer: string): Promise<boolean> {
    if (!textLayerMayBeThin(layer)) return false;
    return !textLayerCoversPage(layer, await pdf.largestImageShare(number));
  }

  /** All scanned pages in one engine job: the file itself when every page is a scan, else a subset PDF. */
  private async scannedDocument(
    bytes: Uint8Array,
    pdf: PdfSandbox,
    scanned: number[],
    ocr: OcrEngine,
    signal: AbortSignal,
  ): Promise<OcrPageResult[]> {
    const whole = scanned.length === pdf.pageCount;
    const document = whole ? bytes : await pdf.split(scanned);
    return raceAbort(ocr.recognizeDocument(document, signal), signal);
  }

  private async scannedPage(pdf: PdfSandbox, number: number, ocr: OcrEngine): Promise<OcrPageInput> {
    if (ocr.pdfPageInput === 'pdf') {
      // pdf-lib cannot split an owner-password PDF that pdf.js reads: send the rendered page.
      const single = await pdf.split([number]).catch((error: unknown) => {
        if (error instanceof DocumentError && error.code === 'encrypted_pdf') return null;
        throw error;
      });
      if (single && single.byteLength <= ocr.maxInputBytes) return { kind: 'pdf', bytes: single };
    }
    const { png } = await pdf.render(number, this.settings.renderDpi, this.settings.maxRenderPixels);
    return fitForEngine(png, ocr);
  }

  private async image(input: ExtractionInput): Promise<ExtractionResult> {
    const { signal } = input;
    const pageCount = await raceAbort(this.images.pageCount(input.bytes), signal);
    const readable = Math.min(pageCount, this.settings.maxPages);
    const warnings = pageCount > readable ? [skippedWarning(pageCount, readable)] : [];
    if (!this.ocr) {
      // Decoding proves the image is sound, so a broken file fails the same way with OCR on or off.
      await raceAbort(this.images.page(input.bytes, 0), signal);
      warnings.unshift('The file is an image and OCR is off, so no text was read');
      const pages: ExtractedPage[] = [];
      for (let number = 1; number <= readable; number++)
        pages.push({ number, text: '', source: 'none', confidence: null });
      return { pages, pageCount, warnings };
    }
    const ocr = this.ocr;
    // Frames of a multi-page TIFF in parallel like scanned PDF pages: at most `parallelism` at once.
    const pages = await withLimit(ocr.parallelism, readable, async (number): Promise<ExtractedPage> => {
      throwIfAborted(signal);
      const { png } = await raceAbort(this.images.page(input.bytes, number - 1), signal);
      const result = await raceAbort(ocr.recognize(await fitForEngine(png, ocr), signal), signal);
      return { number, text: result.text, source: ocr.source, confidence: result.confidence };
    });
    for (const page of pages) {
      const warning = unusableReadingWarning(page.number, page.text);
      if (warning) warnings.push(warning);
    }
    return { pages, pageCount, warnings };
  }
}

/**
 * A page image as the engine takes it: the lossless PNG when it fits the engine's input limit
 * (Textract: 10 MB), else a greyscale JPEG, a fraction of the size and as good for OCR.
 */
async function fitForEngine(png: Uint8Array, ocr: OcrEngine): Promise<OcrPageInput> {
  if (png.byteLength <= ocr.maxInputBytes) return { kind: 'image', bytes: png, contentType: 'image/png' };
  const jpeg = await sharp(png).greyscale().toColourspace('b-w').jpeg({ quality: 85 }).toBuffer();
  return { kind: 'image', bytes: jpeg, contentType: 'image/jpeg' };
}

/** Runs task(1..count) with at most `concurrency` in flight; results in page order. */
async function withLimit<T>(concurrency: number, count: number, task: (number: number) => Promise<T>): Promise<T[]> {
  const limit = pLimit(concurrency);
  try {
    return await Promise.all(Array.from({ length: count }, (_, i) => limit(() => task(i + 1))));
  } finally {
    limit.clearQueue();
  }
}

/**
 * What the result should say about a page OCR read nothing useful from (a reader sees why the
 * document's text is thin); null when the page read fine.
 */
export function unusableReadingWarning(number: number, text: string): string | null {
  const chars = nonSpaceChars(text);
  if (chars === 0) return `page ${number}: OCR read no text (blank or unreadable image)`;
  if (chars < MIN_USABLE_CHARS && wordlikeShare(text) < ORIENTATION_RULE.garbageShare) {
    return `page ${number}: OCR read no usable text (${chars} characters, none of them words: blurred, tiny or damaged image?)`;
  }
  return null;
}

function pageList(numbers: number[]): string {
  return numbers.length === 1 ? `Page ${numbers[0]} has` : `Pages ${numbers.join(', ')} have`;
}

function skippedWarning(pageCount: number, read: number): string {
  return `The document has ${pageCount} pages; only the first ${read} were read (page limit), the rest were skipped`;
}
