import sharp from 'sharp';
import { createScheduler, createWorker, OEM, Scheduler, Worker } from 'tesseract.js';
import { DocumentError } from '../common/document-error';
import { OcrEngine, OcrPageInput, OcrPageResult } from './ocr-engine.port';
import { LanguageDirectory, languageDirectory } from './tesseract-language.data';

export interface TesseractSettings {
  /** Tesseract language codes, each from its own @tesseract.js-data package. */
  languages: string[];
  /** Size of the worker pool, shared by every document of this process. */
  workers: number;
  /** Below this mean confidence (0..1) a page is checked for 90/180/270 degree rotation. */
  orientationCheckBelow: number;
}

/**
 * Local OCR with tesseract.js (WebAssembly, no network). Workers are created on first use and
 * reused across documents; a separate legacy-engine worker runs orientation detection (OSD),
 * only for pages whose first reading came out poor, since OSD costs about half a second a page.
 */
export class TesseractOcrEngine extends OcrEngine {
  readonly source = 'tesseract' as const;
  readonly pdfPageInput = 'image' as const;
  readonly maxInputBytes = Number.POSITIVE_INFINITY;
  private pool?: Promise<{ scheduler: Scheduler; languages: LanguageDirectory }>;
  private osd?: Promise<Worker>;
  private closed = false;

  constructor(private readonly settings: TesseractSettings) {
    super();
  }

  get parallelism(): number {
    return this.settings.workers;
  }

  async recognize(page: OcrPageInput): Promise<OcrPageResult> {
    if (page.kind !== 'image') throw new Error('TesseractOcrEngine reads images; rasterise PDF pages first');
    const image = Buffer.from(page.bytes.buffer, page.bytes.byteOffset, page.bytes.byteLength);
    const first = await this.read(image);
    if (first.confidence >= this.settings.orientationCheckBelow) return first;
    const degrees = await this.orientation(image);
    if (degrees === 0) return first;
    const upright = await sharp(image).rotate(degrees).png({ compressionLevel: 1 }).toBuffer();
    const second = await this.read(upright);
    return second.confidence > first.confidence ? second : first;
  }

  async close(): Promise<void> {
    this.closed = true;
    const [pool, osd] = await Promise.allSettled([this.pool, this.osd]);
    this.pool = undefined;
    this.osd = undefined;
    if (pool.status === 'fulfilled' && pool.value) {
      await pool.value.scheduler.terminate();
      pool.value.languages.dispose();
    }
    if (osd.status === 'fulfilled' && osd.value) await osd.value.terminate();
  }

  private async read(image: Buffer): Promise<OcrPageResult> {
    const { scheduler } = await this.workers();
    const { data } = await scheduler.addJob('recognize', image);
    return { text: data.text, confidence: Math.max(0, Math.min(1, data.confidence / 100)) };
  }

  /** Clockwise degrees that make the page upright (tesseract reports the page's own rotation). */
  private async orientation(image: Buffer): Promise<number> {
    const osd = await this.osdWorker();
    try {
      const { data } = await osd.detect(image);
      return data.orientation_degrees ?? 0;
    } catch {
      // OSD fails on pages with too little text to judge; the first reading stands.
      return 0;
    }
  }

  private workers(): Promise<{ scheduler: Scheduler; languages: LanguageDirectory }> {
    if (this.closed) return Promise.reject(new DocumentError('provider_unavailable', 'Local OCR is shutting down', true));
    this.pool ??= this.startPool().catch((error: unknown) => {
      this.pool = undefined;
      throw new DocumentError('provider_unavailable', `Local OCR could not start: ${messageOf(error)}`);
    });
    return this.pool;
  }

  private async startPool(): Promise<{ scheduler: Scheduler; languages: LanguageDirectory }> {
    const languages = languageDirectory(this.settings.languages, 'lstm');
    const scheduler = createScheduler();
    try {
      const workers = await Promise.all(
        Array.from({ length: this.settings.workers }, () =>
          createWorker(this.settings.languages, OEM.LSTM_ONLY, {
            langPath: languages.langPath,
            cacheMethod: 'none',
            gzip: true,
          }),
        ),
      );
      for (const worker of workers) scheduler.addWorker(worker);
      return { scheduler, languages };
    } catch (error) {
      await scheduler.terminate();
      languages.dispose();
      throw error;
    }
  }

  private osdWorker(): Promise<Worker> {
    this.osd ??= (async () => {
      const dir = languageDirectory(['osd'], 'legacy');
      return createWorker('osd', OEM.TESSERACT_ONLY, {
        langPath: dir.langPath,
        cacheMethod: 'none',
        gzip: true,
        legacyCore: true,
        legacyLang: true,
      });
    })();
    return this.osd;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
