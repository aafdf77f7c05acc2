/**
 * Decides from a first reading whether a page may lie on its side or upside down, so that the
 * costly orientation check (OSD, then a second reading) runs only for pages that need it.
 *
 * Measured on the corpus images (ocr bench notes): rotated pages read as mostly non-words, a
 * wordlike share of 0.16-0.36 at 90/270 degrees (even when tesseract is 51% confident) and
 * 0.40-0.61 with confidence <= 0.44 at 180; upright pages score 0.56-0.92, and the upright ones
 * under 0.65 are hard photos (ID cards, a crumpled receipt) with confidence under 0.5. Dense
 * upright forms (the 1040 at 0.55 confidence) no longer pay for a check they cannot gain from.
 */
export const ORIENTATION_RULE = {
  /** Below this wordlike share the text is garbage whatever tesseract's confidence says. */
  garbageShare: 0.4,
  /** Below this share, garbage only when confidence is also under lowConfidence. */
  poorShare: 0.65,
  lowConfidence: 0.5,
} as const;

// A word: 3+ letters (any script) with trailing punctuation, or a number, date or amount.
const WORDLIKE = /^(?:\p{L}{3,}[.,:;!?]?|\(?\p{N}[\p{N}.,:/%-]*\)?)$/u;

/** Share of the text's non-space characters that belong to wordlike tokens (0..1). */
export function wordlikeShare(text: string): number {
  let all = 0;
  let wordlike = 0;
  for (const token of text.split(/\s+/)) {
    if (!token) continue;
    all += token.length;
    if (WORDLIKE.test(token)) wordlike += token.length;
  }
  return all === 0 ? 1 : wordlike / all;
}

/** True when a first reading looks like a misoriented page (see ORIENTATION_RULE). */
export function mayBeMisoriented(reading: { text: string; confidence: number }): boolean {
  // No text at all: OSD has nothing to judge either ("too few characters").
  if (reading.text.trim().length === 0) return false;
  const share = wordlikeShare(reading.text);
  if (share < ORIENTATION_RULE.garbageShare) return true;
  return share < ORIENTATION_RULE.poorShare && reading.confidence < ORIENTATION_RULE.lowConfidence;
}

/**
 * How well a reading reads, to keep the better of two (another turn, another preparation): the
 * engine's confidence, weighted by how much text there is. Measured on the SROIE receipts, the
 * reading with the lower CER had the higher confidence for both engines, where a words-based
 * measure misjudges PaddleOCR (it often drops the spaces between words). The square root keeps
 * a confident scrap ("machine readable zone") from beating a page of less certain text.
 */
export function readingScore(reading: { text: string; confidence: number }): number {
  return reading.confidence * Math.sqrt(reading.text.replace(/\s+/g, '').length);
}

/** Fewer non-space characters than this on a page means it read as (next to) nothing. */
export const MIN_USABLE_CHARS = 20;

/** When an engine's reading counts as poor (see isPoorReading). */
export interface PoorReadingRule {
  /** Confidence under this is poor. */
  minConfidence: number;
  /** Whether mostly non-words is poor too (tesseract: yes; PaddleOCR drops spaces, so no). */
  checkWords: boolean;
}

/** True when a reading is empty, garbage, or so unsure that another preparation may do better. */
export function isPoorReading(reading: { text: string; confidence: number }, rule: PoorReadingRule): boolean {
  if (reading.text.replace(/\s+/g, '').length < MIN_USABLE_CHARS) return true;
  if (rule.checkWords && mayBeMisoriented(reading)) return true;
  return reading.confidence < rule.minConfidence;
}
