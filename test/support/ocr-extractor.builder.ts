import { DocumentTextExtractor, DocumentTextExtractorSettings } from '../../src/ocr/document-text.extractor';
import { ImageNormalizer } from '../../src/ocr/image.normalizer';
import { OcrEngine } from '../../src/ocr/ocr-engine.port';
import { LOCAL_OCR_PREPARATION } from '../../src/ocr/ocr.factory';
import { PreparingOcrEngine } from '../../src/ocr/preparing.ocr-engine';
import { DEFAULT_SANDBOX_LIMITS } from '../../src/ocr/pdf/pdf-sandbox';
import type { PdfThreadPool } from '../../src/ocr/pdf/pdf-thread-pool';

export const TEST_MAX_IMAGE_PIXELS = 40_000_000;

/** A DocumentTextExtractor with the production defaults, built without Nest (warm PDF threads only with a pool). */
export function buildExtractor(
  engine: OcrEngine | null,
  overrides: Partial<DocumentTextExtractorSettings> = {},
  pdfThreads: PdfThreadPool | null = null,
): DocumentTextExtractor {
  return new DocumentTextExtractor(
    {
      maxPages: 50,
      minTextLayerChars: 20,
      renderDpi: 200,
      maxRenderPixels: 9_000_000,
      pdf: { maxImagePixels: TEST_MAX_IMAGE_PIXELS, ...DEFAULT_SANDBOX_LIMITS },
      ...overrides,
    },
    new ImageNormalizer({ maxImagePixels: TEST_MAX_IMAGE_PIXELS, maxOcrPixels: 9_000_000, minLongSide: 1500 }),
    engine,
    pdfThreads,
  );
}

/** As buildExtractor, with a local engine behind the production image preparation and retries. */
export function buildLocalExtractor(
  engine: OcrEngine & { source: 'tesseract' | 'paddle' },
  overrides: Partial<DocumentTextExtractorSettings> = {},
): DocumentTextExtractor {
  return buildExtractor(new PreparingOcrEngine(engine, LOCAL_OCR_PREPARATION[engine.source]), overrides);
}

export function input(bytes: Uint8Array, contentType: string, timeoutMs = 60_000) {
  return { bytes, contentType, filename: 'test-file', signal: AbortSignal.timeout(timeoutMs) };
}
