import sharp from 'sharp';

/**
 * The ways a page image is prepared for a local OCR engine, chosen by measurement (bench:cer on
 * the SROIE receipts, bench:ocr-reads on every corpus image):
 * - `as-is`: the normalised page (greyscale, alpha composited, small pages upscaled). Best first
 *   try: stretching or thresholding every page raised the receipts' CER (0.16 to 0.17 with
 *   tesseract; some receipts from 0.13 to 0.8), as it sharpens JPEG noise and thermal-paper grain.
 * - `contrast`: greyscale with its levels stretched (1st to 99th percentile to black and white).
 *   Faint print on a page with dark scan edges otherwise binarises to blank: tesseract's global
 *   (Otsu) threshold falls between the black edges and the paper, and the grey text turns white
 *   (rcp_sroie_600 read 0 characters). Dark and low-contrast photos are lifted the same way.
 * - `binarised`: an adaptive threshold (each pixel against the mean of its neighbourhood), the
 *   retry for a page that reads as nothing or garbage: text over a busy or uneven background (ID
 *   cards, crumpled or shadowed paper) survives it where a global threshold keeps only the
 *   background.
 */
export type Preparation = 'as-is' | 'contrast' | 'binarised';

export async function preparePage(png: Uint8Array, preparation: Preparation): Promise<Uint8Array> {
  switch (preparation) {
    case 'as-is':
      return png;
    case 'contrast':
      return contrastStretched(png);
    case 'binarised':
      return binarised(png);
  }
}

async function contrastStretched(png: Uint8Array): Promise<Buffer> {
  return sharp(png).greyscale().normalise({ lower: 1, upper: 99 }).png({ compressionLevel: 1 }).toBuffer();
}

/**
 * Dark ink where a pixel is darker than its neighbourhood's mean by a margin; the neighbourhood
 * scales with the page (about two text lines), the margin ignores paper texture and noise.
 */
async function binarised(png: Uint8Array): Promise<Buffer> {
  const grey = sharp(png).greyscale().normalise({ lower: 1, upper: 99 });
  const { data, info } = await grey.clone().raw().toBuffer({ resolveWithObject: true });
  const sigma = Math.max(8, Math.round(Math.max(info.width, info.height) / 80));
  const mean = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
    .blur(sigma)
    .raw()
    .toBuffer();
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] < mean[i] - ADAPTIVE_MARGIN ? 0 : 255;
  return sharp(out, { raw: { width: info.width, height: info.height, channels: 1 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** Grey levels a pixel must lie under its neighbourhood's mean to count as ink. */
const ADAPTIVE_MARGIN = 12;
