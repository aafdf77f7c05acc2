import sharp from 'sharp';
import { DocumentError } from '../common/document-error';
import { raceAbort, throwIfAborted } from '../common/abort';
import { PdfSandbox, type PdfSandboxLimits } from './pdf/pdf-sandbox';
import type { PdfThreadPool } from './pdf/pdf-thread-pool';

export interface PageImageSettings {
  /** Pixel cap of one page image (width x height); larger pages are scaled down to it. */
  maxPixels: number;
  /** Resolution PDF pages are rasterised at, before the pixel cap. */
  renderDpi: number;
  /** Limits of the PDF sandbox, the same as for text extraction (maxImagePixels: decompression bombs). */
  pdf: PdfSandboxLimits;
}

export interface PageImage {
  /** 1-based page number. */
  number: number;
  png: Uint8Array;
}

export interface PageImageSource {
  bytes: Uint8Array;
  /** Sniffed content type, as for text extraction. */
  contentType: string;
  /** Whose document (the tenant), as for text extraction: a warm PDF thread only for the same owner. */
  owner?: string;
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/tiff', 'image/webp']);

/**
 * Page images for a classifier that looks (a vision model), made only when it asks for them:
 * images are decoded and scaled with sharp (one frame of a multi-page TIFF per page), PDF pages
 * are rasterised in the same sandboxed pdf.js worker text extraction uses. Colour is kept (a
 * vision model reads logos, stamps and photos); the size is capped so the request stays within
 * a pixel and token budget. Pages that do not exist, and files that have no pages to show
 * (plain text), are left out of the answer.
 */
export class PageImageRenderer {
  constructor(
    private readonly settings: PageImageSettings,
    /** The extractor's warm PDF threads (the document's text was just read in one); null: a thread per file. */
    private readonly pdfThreads: PdfThreadPool | null = null,
  ) {}

  async render(source: PageImageSource, pageNumbers: readonly number[], signal: AbortSignal): Promise<PageImage[]> {
    throwIfAborted(signal);
    const wanted = [...new Set(pageNumbers)].filter((n) => Number.isInteger(n) && n >= 1).sort((a, b) => a - b);
    if (wanted.length === 0) return [];
    if (source.contentType === 'application/pdf') return this.pdfPages(source, wanted, signal);
    if (IMAGE_TYPES.has(source.contentType)) return this.imagePages(source.bytes, wanted, signal);
    return [];
  }

  private async pdfPages(source: PageImageSource, wanted: number[], signal: AbortSignal): Promise<PageImage[]> {
    const reuse =
      this.pdfThreads && source.owner !== undefined ? { pool: this.pdfThreads, owner: source.owner } : undefined;
    const pdf = await PdfSandbox.open(source.bytes, this.settings.pdf, signal, reuse);
    try {
      const out: PageImage[] = [];
      for (const number of wanted.filter((n) => n <= pdf.pageCount)) {
        throwIfAborted(signal);
        const { png } = await raceAbort(pdf.render(number, this.settings.renderDpi, this.settings.maxPixels), signal);
        out.push({ number, png });
      }
      return out;
    } finally {
      await pdf.close();
    }
  }

  private async imagePages(bytes: Uint8Array, wanted: number[], signal: AbortSignal): Promise<PageImage[]> {
    const { maxImagePixels } = this.settings.pdf;
    const meta = await raceAbort(sharp(bytes, { limitInputPixels: maxImagePixels }).metadata(), signal).catch(
      (error: unknown) => {
        throw imageError(error);
      },
    );
    const frames = meta.pages ?? 1;
    const out: PageImage[] = [];
    for (const number of wanted.filter((n) => n <= frames)) {
      throwIfAborted(signal);
      out.push({ number, png: await raceAbort(this.imagePage(bytes, number - 1), signal) });
    }
    return out;
  }

  private async imagePage(bytes: Uint8Array, index: number): Promise<Uint8Array> {
    try {
      const image = sharp(bytes, { limitInputPixels: this.settings.pdf.maxImagePixels, page: index, pages: 1 });
      const meta = await image.metadata();
      const width = meta.autoOrient?.width ?? meta.width ?? 1;
      const height = meta.autoOrient?.height ?? meta.height ?? 1;
      const scale = Math.min(1, Math.sqrt(this.settings.maxPixels / (width * height)));
      const data = await image
        .rotate()
        .resize(Math.max(1, Math.floor(width * scale)), Math.max(1, Math.floor(height * scale)), { fit: 'fill' })
        // Transparent areas over white, as a viewer shows them.
        .flatten({ background: '#ffffff' })
        .png({ compressionLevel: 6 })
        .toBuffer();
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (error) {
      throw imageError(error);
    }
  }
}

function imageError(error: unknown): DocumentError {
  if (error instanceof DocumentError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DocumentError('corrupt_image', `The image could not be rendered for the classifier: ${message}`);
}
