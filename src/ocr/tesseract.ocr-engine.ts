import sharp from 'sharp';
import { DocumentError } from '../common/document-error';
import { abortError, throwIfAborted } from '../common/abort';
import { OcrEngine, OcrPageInput, OcrPageResult } from './ocr-engine.port';
import { mayBeMisoriented } from './orientation.heuristic';
import { PoolClosedError, ResourcePool } from './resource-pool';
import { LanguageDirectory, languageDirectory } from './tesseract-language.data';
import { TesseractSlot } from './tesseract.slot';

export interface TesseractSettings {
  /** Tesseract language codes, each from its own @tesseract.js-data package. */
  languages: string[];
  /** Pages recognised at once by this process (one worker thread each, so at most the cores). */
  workers: number;
}

/**
 * Local OCR with tesseract.js (WebAssembly, no network). A pool of slots (TesseractSlot), started
 * on demand and reused across documents; a page holds one slot for all its passes. Orientation
 * detection runs only when the first reading looks like a misoriented page (orientation.heuristic).
 * A page whose signal fires mid-recognition kills its slot (WebAssembly cannot be interrupted);
 * the pool starts a fresh one for the next page.
 */
export class TesseractOcrEngine extends OcrEngine {
  readonly source = 'tesseract' as const;
  readonly pdfPageInput = 'image' as const;
  readonly maxInputBytes = Number.POSITIVE_INFINITY;
  private languages?: LanguageDirectory;
  private readonly pool: ResourcePool<TesseractSlot>;

  constructor(private readonly settings: TesseractSettings) {
    super();
    this.pool = new ResourcePool(
      settings.workers,
      () => this.startSlot(),
      (slot) => slot.terminate(),
      (slot) => slot.usable,
    );
  }

  get parallelism(): number {
    return this.settings.workers;
  }

  /** Slots started so far (they start on demand, up to `workers`). */
  get startedWorkers(): number {
    return this.pool.startedCount;
  }

  async recognize(page: OcrPageInput, signal: AbortSignal): Promise<OcrPageResult> {
    if (page.kind !== 'image') throw new Error('TesseractOcrEngine reads images; rasterise PDF pages first');
    // A view, not a copy: tesseract.js copies once more itself before posting to its thread.
    const image = Buffer.from(page.bytes.buffer, page.bytes.byteOffset, page.bytes.byteLength);
    try {
      return await this.pool.use((slot) => this.readUpright(slot, image, signal), signal);
    } catch (error) {
      if (error instanceof PoolClosedError)
        throw new DocumentError('provider_unavailable', 'Local OCR is shutting down', true);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
    this.languages?.dispose();
    this.languages = undefined;
  }

  private async readUpright(slot: TesseractSlot, image: Buffer, signal: AbortSignal): Promise<OcrPageResult> {
    throwIfAborted(signal);
    const stop = () => slot.kill(abortError(signal));
    signal.addEventListener('abort', stop, { once: true });
    try {
      return await this.readUprightOnSlot(slot, image, signal);
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private async readUprightOnSlot(slot: TesseractSlot, image: Buffer, signal: AbortSignal): Promise<OcrPageResult> {
    const first = await this.read(slot, image, signal);
    if (!mayBeMisoriented(first)) return first;
    throwIfAborted(signal);
    let best = first;
    for (const degrees of rotationsToTry(await slot.uprightRotation(image))) {
      throwIfAborted(signal);
      const upright = await sharp(image).rotate(degrees).png({ compressionLevel: 1 }).toBuffer();
      const reading = await this.read(slot, upright, signal);
      // OSD misjudges some upright photos (ID cards) as upside down: keep the better reading.
      if (reading.confidence > best.confidence) best = reading;
      if (!mayBeMisoriented(reading)) break;
    }
    return best;
  }

  private async read(slot: TesseractSlot, image: Buffer, signal: AbortSignal): Promise<OcrPageResult> {
    try {
      return await slot.read(image);
    } catch (error) {
      throwIfAborted(signal);
      throw new DocumentError('corrupt_image', `Local OCR could not read the page: ${messageOf(error)}`);
    }
  }

  private async startSlot(): Promise<TesseractSlot> {
    try {
      this.languages ??= languageDirectory(this.settings.languages, 'lstm');
      return await TesseractSlot.start(this.settings.languages, this.languages.langPath);
    } catch (error) {
      throw new DocumentError('provider_unavailable', `Local OCR could not start: ${messageOf(error)}`);
    }
  }
}

/**
 * Clockwise rotations to try, best guess first, for OSD's verdict on a page that read as garbage.
 * OSD tells a sideways page from an upright one far better than it tells which side is up: on
 * some renderings it answers 90 for a page that needs 270. So a sideways verdict is followed, when
 * the turned page still reads as garbage, by the opposite turn.
 */
export function rotationsToTry(osdDegrees: number): number[] {
  if (osdDegrees === 90 || osdDegrees === 270) return [osdDegrees, (osdDegrees + 180) % 360];
  return osdDegrees === 180 ? [180] : [];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
