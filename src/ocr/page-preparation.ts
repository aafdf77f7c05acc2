import sharp from 'sharp';

/**
 * The ways a page image is prepared for a local OCR engine, chosen by measurement (bench:cer on
 * the SROIE receipts, bench:ocr-reads on every corpus image):
 * - `as-is`: the normalised page (greyscale, alpha composited, small pages upscaled). Best first
 *   try: stretching or thresholding every page raised the receipts' CER (0.16 to 0.17 with
 *   tesseract; some receipts from 0.13 to 0.8), as it sharpens JPEG noise and thermal-paper grain.
 * - `deskewed`: as-is, turned straight when its lines run at a slant of a degree or more
 *   (skewSlant); the first retry, as a slanted page reads poorly and a level one gains nothing.
 * - `contrast`: greyscale with its levels stretched (1st to 99th percentile to black and white).
 *   Faint print on a page with dark scan edges otherwise binarises to blank: tesseract's global
 *   (Otsu) threshold falls between the black edges and the paper, and the grey text turns white
 *   (rcp_sroie_600 read 0 characters). Dark and low-contrast photos are lifted the same way.
 * - `binarised`: an adaptive threshold (each pixel against the mean of its neighbourhood), the
 *   retry for a page that reads as nothing or garbage: text over a busy or uneven background (ID
 *   cards, crumpled or shadowed paper) survives it where a global threshold keeps only the
 *   background.
 */
export type Preparation = 'as-is' | 'deskewed' | 'contrast' | 'binarised';

export async function preparePage(png: Uint8Array, preparation: Preparation): Promise<Uint8Array> {
  switch (preparation) {
    case 'as-is':
      return png;
    case 'deskewed':
      return deskewed(png);
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

/** Slants tried, in degrees either way: 1-degree steps, then half a degree around the best. */
const SKEW_RANGE = 8;
/** Slants under this are left alone: OCR reads them as well, and a turn softens the glyphs. */
const MIN_SKEW = 1;

/** The page turned so that its text lines run level; the same bytes when they already do. */
async function deskewed(png: Uint8Array): Promise<Uint8Array> {
  const slant = await skewSlant(png);
  if (Math.abs(slant) < MIN_SKEW) return png;
  return sharp(png)
    .flatten({ background: '#ffffff' })
    .greyscale()
    .rotate(-slant, { background: '#ffffff' })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/**
 * The clockwise slant of the page's text lines in degrees, by projection profiles: on a small
 * binarised copy turned by each candidate angle, level lines give the rows of ink the most uneven
 * profile (dense text rows between blank gaps), so the angle with the largest variance of ink per
 * row undoes the slant. 0 when the best angle is the edge of the range (no lines to level: a
 * photo of something else, a crumpled page).
 */
export async function skewSlant(png: Uint8Array): Promise<number> {
  const thumbnail = await sharp(png)
    .flatten({ background: '#ffffff' })
    .greyscale()
    .resize(600, 600, { fit: 'inside', withoutEnlargement: true })
    .normalise()
    .threshold(160)
    .negate({ alpha: false })
    .png()
    .toBuffer();
  const coarse = Array.from({ length: 2 * SKEW_RANGE + 1 }, (_, i) => i - SKEW_RANGE);
  const first = await bestLevelling(thumbnail, coarse);
  if (Math.abs(first) >= SKEW_RANGE) return 0;
  const best = await bestLevelling(thumbnail, [first - 0.5, first, first + 0.5]);
  // Turning by `best` levels the lines, so the page leans `-best` clockwise.
  return best === 0 ? 0 : -best;
}

async function bestLevelling(thumbnail: Buffer, angles: number[]): Promise<number> {
  let best = 0;
  let bestScore = -1;
  for (const angle of angles) {
    const { data, info } = await sharp(thumbnail)
      .rotate(angle, { background: '#000000' })
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const rows = new Float64Array(info.height);
    for (let y = 0; y < info.height; y++) {
      let ink = 0;
      for (let x = 0, i = y * info.width; x < info.width; x++, i++) ink += data[i];
      rows[y] = ink / 255;
    }
    const mean = rows.reduce((a, b) => a + b, 0) / rows.length;
    const score = rows.reduce((a, b) => a + (b - mean) * (b - mean), 0) / rows.length;
    if (score > bestScore) {
      bestScore = score;
      best = angle;
    }
  }
  return best;
}
