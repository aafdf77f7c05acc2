import type { TextSource } from './text-extractor.port';

/** What an OCR engine is handed: one page, either as an image or as a single-page PDF. */
export type OcrPageInput =
  { kind: 'image'; bytes: Uint8Array; contentType: 'image/png' | 'image/jpeg' } | { kind: 'pdf'; bytes: Uint8Array };

export interface OcrPageResult {
  text: string;
  /** Mean confidence 0..1. */
  confidence: number;
}

/**
 * Internal port of the ocr module: one page in, text out. DocumentTextExtractor decides which
 * pages need it; an engine only recognises. Failures are thrown as DocumentError.
 */
export abstract class OcrEngine {
  /** Recorded as the page's source. */
  abstract readonly source: Extract<TextSource, 'tesseract' | 'textract'>;
  /** 'pdf': scanned PDF pages are sent as single-page PDFs (Textract); 'image': rasterised first. */
  abstract readonly pdfPageInput: 'image' | 'pdf';
  /** Pages of one document worth recognising at once (pool size, request concurrency). */
  abstract readonly parallelism: number;
  /** Largest single-page input in bytes; bigger pages are rasterised instead. */
  abstract readonly maxInputBytes: number;
  abstract recognize(page: OcrPageInput, signal: AbortSignal): Promise<OcrPageResult>;
  /** Releases pools and clients. */
  abstract close(): Promise<void>;
}
