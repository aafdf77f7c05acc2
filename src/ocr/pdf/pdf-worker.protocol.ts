/** Messages between PdfSandbox (main thread) and pdf.worker (worker thread). Types only. */

export interface PdfWorkerOptions {
  /** Images bigger than this many pixels are dropped by pdf.js instead of decoded. */
  maxImagePixels: number;
}

export type PdfWorkerRequest =
  | { id: number; op: 'open'; bytes: Uint8Array }
  | { id: number; op: 'text'; page: number }
  | { id: number; op: 'render'; page: number; dpi: number; maxPixels: number }
  | { id: number; op: 'split'; pages: number[] }
  | { id: number; op: 'images'; page: number }
  | { id: number; op: 'release' };

export interface PdfOpenResult {
  pageCount: number;
}

export interface PdfTextResult {
  text: string;
}

export interface PdfRenderResult {
  png: Uint8Array;
  width: number;
  height: number;
}

export interface PdfImagesResult {
  /** Share of the page's area (0..1) covered by its largest image. */
  largestImageShare: number;
}

/** The document was dropped. */
export type PdfReleaseResult = Record<string, never>;

export interface PdfSplitResult {
  pdf: Uint8Array;
}

export type PdfWorkerResponse =
  | {
      id: number;
      ok: true;
      value: PdfOpenResult | PdfTextResult | PdfRenderResult | PdfSplitResult | PdfImagesResult | PdfReleaseResult;
    }
  | { id: number; ok: false; error: { name: string; message: string } };
