import type { Worker as Thread } from 'node:worker_threads';
import { createWorker, OEM, Worker } from 'tesseract.js';
import type { OcrPageResult } from './ocr-engine.port';
import { languageDirectory } from './tesseract-language.data';

/**
 * One place of the tesseract pool: an LSTM worker thread for reading, and (started the first
 * time a page of this slot needs it) a legacy-engine worker for orientation detection. Keeping
 * OSD in the slot means it runs in parallel with the other slots instead of queueing on one
 * shared worker, and a page never needs more than its own slot's CPU.
 *
 * A slot whose thread dies, or that is killed to stop a page in progress, is no longer `usable`:
 * its pending calls reject at once and the pool replaces it.
 */
export class TesseractSlot {
  private osd?: Promise<Worker>;
  private deathCause?: Error;
  private readonly death: Promise<never>;
  private die!: (cause: Error) => void;

  private constructor(private readonly reader: Worker) {
    this.death = new Promise<never>((_, reject) => {
      this.die = (cause) => {
        this.deathCause ??= cause;
        reject(cause);
      };
    });
    this.death.catch(() => undefined);
    watchThread(reader, this.die);
  }

  /** langPath: a folder holding the LSTM traineddata of every language (tesseract-language.data). */
  static async start(languages: string[], langPath: string): Promise<TesseractSlot> {
    const reader = await createWorker(languages, OEM.LSTM_ONLY, {
      langPath,
      cacheMethod: 'none',
      gzip: true,
      // Without a handler tesseract.js rethrows a failed job inside its message listener, an
      // uncaught exception that would end the process; the job's own promise rejects anyway.
      errorHandler: () => undefined,
    });
    return new TesseractSlot(reader);
  }

  get usable(): boolean {
    return this.deathCause === undefined;
  }

  async read(image: Buffer): Promise<OcrPageResult> {
    const { data } = await Promise.race([this.reader.recognize(image), this.death]);
    return { text: data.text, confidence: Math.max(0, Math.min(1, data.confidence / 100)) };
  }

  /** Clockwise degrees that make the page upright; 0 when OSD cannot judge (too little text). */
  async uprightRotation(image: Buffer): Promise<number> {
    try {
      const osd = await Promise.race([this.osdWorker(), this.death]);
      const { data } = await Promise.race([osd.detect(image), this.death]);
      return data.orientation_degrees ?? 0;
    } catch {
      // Best effort: without a verdict (or without an OSD worker) the first reading stands.
      return 0;
    }
  }

  /** Stops the page in progress: WebAssembly cannot be interrupted, so the threads go. */
  kill(cause: Error): void {
    this.die(cause);
    void this.terminate();
  }

  async terminate(): Promise<void> {
    this.die(new Error('the OCR slot was terminated'));
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
      errorHandler: () => undefined,
    }).then((osd) => {
      watchThread(osd, this.die);
      return osd;
    });
    // A failed start is not remembered, so the next page may try again.
    this.osd.catch(() => (this.osd = undefined));
    return this.osd;
  }
}

/**
 * tesseract.js sets the browser-style `onerror` on its Node worker thread, which Node ignores: an
 * 'error' event would be unhandled (and end the process) and pending jobs would never settle.
 */
function watchThread(worker: Worker, die: (cause: Error) => void): void {
  const thread = (worker as unknown as { worker?: Thread }).worker;
  thread?.on('error', (error) => die(new Error(`the OCR thread failed: ${error.message}`)));
  thread?.on('exit', (code) => die(new Error(`the OCR thread exited (code ${code})`)));
}
