import type { TextSource } from './text-extractor.port';

/** What an OCR engine is handed: one page, either as an image or as a single-page PDF. */
export type OcrPageInput =
  { kind: 'image'; bytes: Uint8Array; contentType: 'image/png' | 'image/jpeg' } | { kind: 'pdf'; bytes: Uint8Array };

export interface OcrPageResult {
  text: string;
  /** Mean confidence 0..1. */
  confidence: number;
}

/** What the extractor knows about a PDF's scanned pages before choosing how to OCR them. */
export interface ScannedPdf {
  /** Pages without a usable text layer (the ones to recognise). */
  pages: number;
  /** Size of the uploaded file. */
  bytes: number;
}

/**
 * Internal port of the ocr module: one page in, text out. DocumentTextExtractor decides which
 * pages need it; an engine only recognises. Failures are thrown as DocumentError.
 */
export abstract class OcrEngine {
  /** Recorded as the page's source. */
  abstract readonly source: Extract<TextSource, 'tesseract' | 'paddle' | 'textract'>;
  /** 'pdf': scanned PDF pages are sent as single-page PDFs (Textract); 'image': rasterised first. */
  abstract readonly pdfPageInput: 'image' | 'pdf';
  /** Pages of one document worth recognising at once (pool size, request concurrency). */
  abstract readonly parallelism: number;
  /** Largest single-page input in bytes; bigger pages are rasterised instead. */
  abstract readonly maxInputBytes: number;
  abstract recognize(page: OcrPageInput, signal: AbortSignal): Promise<OcrPageResult>;

  /**
   * Whether the scanned pages of a PDF should go to recognizeDocument as one PDF instead of page by
   * page (Textract's asynchronous API through S3, for long or large scans). No by default.
   */
  readsWholeDocument(scan: ScannedPdf): boolean {
    void scan;
    return false;
  }

  /** One result per page of `pdf`, in page order. Only called after readsWholeDocument said yes. */
  recognizeDocument(pdf: Uint8Array, signal: AbortSignal): Promise<OcrPageResult[]> {
    void pdf;
    void signal;
    return Promise.reject(new Error(`${this.source} does not read whole documents`));
  }

  /** Releases pools and clients. */
  abstract close(): Promise<void>;
}
