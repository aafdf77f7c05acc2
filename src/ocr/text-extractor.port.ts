/** Where a page's text came from. */
export type TextSource = 'text-layer' | 'plain-text' | 'tesseract' | 'paddle' | 'textract' | 'none';

export interface ExtractedPage {
  /** 1-based page number. */
  number: number;
  text: string;
  source: TextSource;
  /** Mean recognition confidence 0..1 for OCR'd pages; null when the text was read, not recognised. */
  confidence: number | null;
}

export interface ExtractionResult {
  pages: ExtractedPage[];
  /** Pages in the document (may exceed pages.length when a page limit cut it short). */
  pageCount: number;
  /** Notes a reader of the result should see, e.g. "page 3 has no text layer and OCR is disabled". */
  warnings: string[];
}

export interface ExtractionInput {
  bytes: Uint8Array;
  /** Sniffed from the bytes at upload time, e.g. application/pdf, image/png, text/plain. */
  contentType: string;
  filename: string;
  /**
   * Whose document (the tenant): a warm PDF reader is reused only for the same owner's next
   * document. Unset: a reader of its own.
   */
  owner?: string;
  /** Aborted when the per-file time limit passes or the job is cancelled. */
  signal: AbortSignal;
}

/** Port: document bytes -> pages of text. Failures are thrown as DocumentError. */
export abstract class TextExtractor {
  abstract extract(input: ExtractionInput): Promise<ExtractionResult>;
}
