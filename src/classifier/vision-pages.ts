import type { ClassifierPage, ClassifierPageImage } from './classifier.port';

export interface VisionSettings {
  /** Pages sent as images at most, first pages first. */
  maxPages: number;
  /** Pixel cap of one image (width x height); a bigger one is not sent. */
  maxPixelsPerImage: number;
  /** Token budget of all images of one request, estimated as OpenAI bills high-detail images. */
  maxImageTokens: number;
}

export const DEFAULT_VISION_SETTINGS: VisionSettings = {
  maxPages: 3,
  maxPixelsPerImage: 1_100_000,
  maxImageTokens: 2_400,
};

/** Fewer readable characters than this on a page: its text says too little to classify by. */
const POOR_TEXT_CHARS = 40;
/** OCR confidence under this: the text is likely garbage. */
const POOR_OCR_CONFIDENCE = 0.5;

/** Pages whose text is missing or poor (no text, very little, or OCR it did not trust), in order. */
export function poorPages(pages: readonly ClassifierPage[]): number[] {
  return pages
    .filter(
      (p) =>
        p.source === 'none' ||
        p.text.replace(/[^\p{L}\p{N}]/gu, '').length < POOR_TEXT_CHARS ||
        (p.confidence !== null && p.confidence < POOR_OCR_CONFIDENCE),
    )
    .map((p) => p.number);
}

/** Width and height from a PNG's IHDR chunk; null when the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } | null {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.byteLength < 24 || signature.some((b, i) => png[i] !== b)) return null;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Tokens OpenAI bills for a high-detail image (gpt-4o family): scaled to fit 2048 x 2048, then
 * its short side to 768, then 170 per 512-pixel tile plus 85.
 */
export function imageTokens(width: number, height: number): number {
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shortSide = Math.min(1, 768 / Math.min(w, h));
  w *= shortSide;
  h *= shortSide;
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}

export interface BudgetedImage extends ClassifierPageImage {
  tokens: number;
}

/** The images that fit the pixel and token budgets, in page order. */
export function withinBudget(images: readonly ClassifierPageImage[], settings: VisionSettings): BudgetedImage[] {
  const out: BudgetedImage[] = [];
  let tokens = 0;
  for (const image of [...images].sort((a, b) => a.number - b.number)) {
    if (out.length >= settings.maxPages) break;
    const size = pngSize(image.png);
    if (!size || size.width * size.height > settings.maxPixelsPerImage) continue;
    const cost = imageTokens(size.width, size.height);
    if (tokens + cost > settings.maxImageTokens) continue;
    tokens += cost;
    out.push({ ...image, tokens: cost });
  }
  return out;
}
