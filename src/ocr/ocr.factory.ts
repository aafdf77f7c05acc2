import { TextractClient } from '@aws-sdk/client-textract';
import { AppConfig } from '../config/app-config';
import { DocumentTextExtractor } from './document-text.extractor';
import { ImageNormalizer } from './image.normalizer';
import { OcrEngine } from './ocr-engine.port';
import { DEFAULT_SANDBOX_LIMITS } from './pdf/pdf-sandbox';
import { TesseractOcrEngine } from './tesseract.ocr-engine';
import { TextractExtractor } from './textract.extractor';

/** ~A4 at 300 DPI; a page image bigger than this only slows OCR down. */
const MAX_OCR_PIXELS = 9_000_000;

/** What the factory built; a class so Nest can inject it by type. */
export class OcrComponents {
  constructor(
    readonly extractor: DocumentTextExtractor,
    /** null when OCR is off; closed on shutdown. */
    readonly engine: OcrEngine | null,
  ) {}
}

/** The one place the OCR provider is chosen ('auto' was resolved by AppConfig). */
export function createOcrComponents(config: AppConfig): OcrComponents {
  const engine = createOcrEngine(config);
  const { maxPages, maxImagePixels } = config.limits;
  const extractor = new DocumentTextExtractor(
    {
      maxPages,
      minTextLayerChars: 20,
      renderDpi: 300,
      maxRenderPixels: Math.min(maxImagePixels, MAX_OCR_PIXELS),
      pdf: { maxImagePixels, ...DEFAULT_SANDBOX_LIMITS },
    },
    new ImageNormalizer({ maxImagePixels, maxOcrPixels: Math.min(maxImagePixels, MAX_OCR_PIXELS), minLongSide: 1500 }),
    engine,
  );
  return new OcrComponents(extractor, engine);
}

function createOcrEngine(config: AppConfig): OcrEngine | null {
  const { ocr } = config;
  switch (ocr.provider) {
    case 'none':
      return null;
    case 'tesseract':
      return new TesseractOcrEngine({ languages: ocr.languages, workers: ocr.workers });
    case 'textract':
      return new TextractExtractor(
        // Retries are ours (TextractExtractor), so the SDK makes exactly one attempt per call.
        new TextractClient({ region: ocr.awsRegion, endpoint: ocr.textractEndpoint, maxAttempts: 1 }),
        { concurrency: 4, maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000 },
      );
  }
}
