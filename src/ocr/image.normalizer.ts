import sharp from 'sharp';
import { DocumentError } from '../common/document-error';

export interface ImageNormalizerSettings {
  /** Images declaring more pixels are refused before decoding (decompression bombs). */
  maxImagePixels: number;
  /** Pixel budget of the image handed to OCR; larger images are scaled down. */
  maxOcrPixels: number;
  /** Smaller images are upscaled so small print reaches a size OCR reads well. */
  minLongSide: number;
}

export interface NormalizedPage {
  png: Uint8Array;
  width: number;
  height: number;
}

/**
 * Turns an uploaded image into OCR-ready greyscale PNG pages with sharp: EXIF rotation applied,
 * size bounded, one page of a multi-page TIFF at a time so memory stays bounded.
 */
export class ImageNormalizer {
  constructor(private readonly settings: ImageNormalizerSettings) {}

  /** Number of pages (frames) the image holds; throws corrupt_image / image_too_large. */
  async pageCount(bytes: Uint8Array): Promise<number> {
    try {
      const meta = await sharp(bytes, { limitInputPixels: this.settings.maxImagePixels }).metadata();
      const width = meta.width ?? 0;
      const height = meta.height ?? 0;
      if (width * height > this.settings.maxImagePixels) throw tooLarge(width, height, this.settings.maxImagePixels);
      return meta.pages ?? 1;
    } catch (error) {
      throw toImageError(error, this.settings.maxImagePixels);
    }
  }

  async page(bytes: Uint8Array, index: number): Promise<NormalizedPage> {
    const { maxImagePixels, maxOcrPixels, minLongSide } = this.settings;
    try {
      const image = sharp(bytes, { limitInputPixels: maxImagePixels, page: index, pages: 1, failOn: 'error' });
      const meta = await image.metadata();
      const width = meta.autoOrient?.width ?? meta.width ?? 0;
      const height = meta.autoOrient?.height ?? meta.height ?? 0;
      let scale = 1;
      if (width * height > maxOcrPixels) scale = Math.sqrt(maxOcrPixels / (width * height));
      else if (Math.max(width, height) < minLongSide) scale = Math.min(3, minLongSide / Math.max(width, height));
      const lightInk = meta.hasAlpha ? await hasLightInkOnTransparency(image.clone()) : false;
      const prepared = image
        .rotate()
        .resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), { fit: 'fill' })
        // Composited with its alpha onto a background the ink stands out from; light ink goes on
        // black and the page is then inverted, so OCR always gets dark text on a light page.
        .flatten({ background: lightInk ? '#000000' : '#ffffff' })
        .greyscale();
      if (lightInk) prepared.negate({ alpha: false });
      const { data, info } = await prepared.png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
      return {
        png: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width,
        height: info.height,
      };
    } catch (error) {
      throw toImageError(error, maxImagePixels);
    }
  }
}

/**
 * Whether the image is light ink (white or pale text, a logo made for dark themes) on a
 * transparent background: composited onto white, as usual, it would come out blank. Judged on a
 * thumbnail: what is opaque is light, and it is thin strokes (a long outline for its area), not
 * a solid block such as an opaque page with dark text and transparent margins.
 */
export async function hasLightInkOnTransparency(image: sharp.Sharp): Promise<boolean> {
  const { data, info } = await image
    .rotate()
    .resize(512, 512, { fit: 'inside' })
    .ensureAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const opaqueAt = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < width && y < height && data[(y * width + x) * channels + channels - 1] >= 128;
  let opaque = 0;
  let outline = 0;
  let light = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!opaqueAt(x, y)) continue;
      opaque++;
      const i = (y * width + x) * channels;
      if (0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2] > 160) light++;
      if (!opaqueAt(x - 1, y) || !opaqueAt(x + 1, y) || !opaqueAt(x, y - 1) || !opaqueAt(x, y + 1)) outline++;
    }
  }
  if (opaque === 0 || opaque === width * height) return false;
  return light / opaque > 0.8 && outline / opaque > 0.15;
}

function tooLarge(width: number, height: number, limit: number): DocumentError {
  return new DocumentError(
    'image_too_large',
    `The image is ${width} x ${height} pixels, more than the limit of ${limit} pixels`,
  );
}

function toImageError(error: unknown, limit: number): DocumentError {
  if (error instanceof DocumentError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new DocumentError('image_too_large', `The image has more than the limit of ${limit} pixels`);
  }
  return new DocumentError('corrupt_image', `The image is damaged or in an unsupported format: ${message}`);
}
