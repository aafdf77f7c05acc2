import { wordlikeShare } from './orientation.heuristic';

/**
 * When a PDF page's text layer is trusted to be the page's text. A browser's print of an image
 * (a scanned licence opened in a tab) carries a text layer of header and footer only, "7/8/2021
 * Gallery chrome://media-app 1/1": long enough to pass for text, while the page is a picture.
 */
export const TEXT_LAYER_RULE = {
  /** A page whose largest image covers at least this share of it is an image page... */
  largeImageShare: 0.4,
  /** ...whose text layer counts only with at least this many characters besides print boilerplate. */
  minContentChars: 200,
} as const;

// What browsers and viewers print around a page: URLs, dates, times, page counters.
const BOILERPLATE = [
  /\b[a-z][a-z0-9+.-]*:\/\/\S*/gi,
  /\b(?:about|file|data|blob):\S*/gi,
  /\bwww\.\S+/gi,
  /\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b/g,
  /\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?/gi,
  /\bpage\s+\d+(?:\s*(?:of|\/)\s*\d+)?/gi,
  /\b\d+\s*\/\s*\d+\b/g,
];

/** The text without the URLs, dates, times and page counters a print adds. */
export function withoutPrintBoilerplate(text: string): string {
  return BOILERPLATE.reduce((rest, pattern) => rest.replace(pattern, ' '), text);
}

export function nonSpaceChars(text: string): number {
  return text.replace(/\s+/g, '').length;
}

/** Characters of real content: non-space, print boilerplate removed. */
export function contentChars(text: string): number {
  return nonSpaceChars(withoutPrintBoilerplate(text));
}

/** Whether a text layer may stand for a page without looking at its image. */
export function textLayerMayBeThin(layer: string): boolean {
  return contentChars(layer) < TEXT_LAYER_RULE.minContentChars;
}

export function textLayerCoversPage(layer: string, largestImageShare: number): boolean {
  return largestImageShare < TEXT_LAYER_RULE.largeImageShare || !textLayerMayBeThin(layer);
}

/** Characters in wordlike tokens: what a reading contributes, for comparing a layer with OCR. */
export function usableChars(text: string): number {
  return Math.round(contentChars(text) * wordlikeShare(withoutPrintBoilerplate(text)));
}
