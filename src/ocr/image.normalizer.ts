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
      const { data, info } = await image
        .rotate()
        .resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), { fit: 'fill' })
        .flatten({ background: '#ffffff' })
        .greyscale()
        .png({ compressionLevel: 1 })
        .toBuffer({ resolveWithObject: true });
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
