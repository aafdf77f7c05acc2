import { createWorker, OEM, Worker } from 'tesseract.js';
import type { OcrPageResult } from './ocr-engine.port';
import { languageDirectory } from './tesseract-language.data';

/**
 * One place of the tesseract pool: an LSTM worker thread for reading, and (started the first
 * time a page of this slot needs it) a legacy-engine worker for orientation detection. Keeping
 * OSD in the slot means it runs in parallel with the other slots instead of queueing on one
 * shared worker, and a page never needs more than its own slot's CPU.
 */
export class TesseractSlot {
  private osd?: Promise<Worker>;

  private constructor(private readonly reader: Worker) {}

  /** langPath: a folder holding the LSTM traineddata of every language (tesseract-language.data). */
  static async start(languages: string[], langPath: string): Promise<TesseractSlot> {
    const reader = await createWorker(languages, OEM.LSTM_ONLY, { langPath, cacheMethod: 'none', gzip: true });
    return new TesseractSlot(reader);
  }

  async read(image: Buffer): Promise<OcrPageResult> {
    const { data } = await this.reader.recognize(image);
    return { text: data.text, confidence: Math.max(0, Math.min(1, data.confidence / 100)) };
  }

  /** Clockwise degrees that make the page upright; 0 when OSD cannot judge (too little text). */
  async uprightRotation(image: Buffer): Promise<number> {
    try {
      const { data } = await (await this.osdWorker()).detect(image);
      return data.orientation_degrees ?? 0;
    } catch {
      // Best effort: without a verdict (or without an OSD worker) the first reading stands.
      return 0;
    }
  }

  async terminate(): Promise<void> {
    const osd = await this.osd?.catch(() => undefined);
    await Promise.allSettled([this.reader.terminate(), osd?.terminate()]);
  }

  private osdWorker(): Promise<Worker> {
    this.osd ??= createWorker('osd', OEM.TESSERACT_ONLY, {
      // One language, so this is the package's own folder: nothing to dispose.
      langPath: languageDirectory(['osd'], 'legacy').langPath,
      cacheMethod: 'none',
      gzip: true,
      legacyCore: true,
      legacyLang: true,
    });
    // A failed start is not remembered, so the next page may try again.
    this.osd.catch(() => (this.osd = undefined));
    return this.osd;
  }
}
