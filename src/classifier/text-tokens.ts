/**
 * Splits normalised text into words and shape tokens. Numbers say a lot about a document's
 * type but never repeat between documents as words do, so their shapes become tokens: `<amount>`
 * (till slips and statements are dense with them), `<date>`, `<time>` (receipts print the time
 * of sale), `<percent>` and `<mrz>` (the `P<UTO...<<<<` lines of passports and ID cards).
 * Shape tokens start with '<', which no word does, so they never collide with a word's stem.
 */

export const SHAPE = {
  mrz: '<mrz>',
  date: '<date>',
  time: '<time>',
  amount: '<amount>',
  percent: '<percent>',
} as const;

const MONTHS = 'jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec';

// Alternatives are tried left to right at each position: longer shapes first, words last.
// MRZ: a run of letters, digits and fillers with a double filler; OCR reads '<' as '<', '«' or '‹'.
const TOKEN = new RegExp(
  [
    String.raw`(?<mrz>[a-z0-9]*[<«‹]{2,}[a-z0-9<«‹]*)`,
    String.raw`(?<date>\b(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|\d{1,2}[ -]?(?:${MONTHS})[a-z]*[ -]?(?:\d{4}|\d{2}))(?!\d))`,
    String.raw`(?<time>\b\d{1,2}:\d{2}(?::\d{2})?(?!\d))`,
    String.raw`(?<amount>\d{1,3}(?:[,.' ]\d{3})*[.,]\d{2}(?![\d.,]\d))`,
    String.raw`(?<percent>\d{1,3}(?:[.,]\d{1,2})?\s?%)`,
    String.raw`(?<word>\p{L}[\p{L}\p{N}]*)`,
  ].join('|'),
  'gu',
);

/** OCR reads letters as look-alike digits inside words ("T0TAL", "RECE1PT"). */
const DIGIT_AS_LETTER: Record<string, string> = { '0': 'o', '1': 'l', '5': 's', '8': 'b', '6': 'b' };
const DIGIT = /\p{N}/u;

export interface Token {
  /** A word (lower case, accents folded by the caller) or a SHAPE value. */
  text: string;
  shape: boolean;
}

/** Words and shapes of already-normalised text, in order. */
export function* tokenize(normalised: string): Generator<Token> {
  for (const m of normalised.matchAll(TOKEN)) {
    const g = m.groups!;
    if (g.word !== undefined) yield { text: foldDigits(g.word), shape: false };
    else if (g.mrz !== undefined) yield { text: SHAPE.mrz, shape: true };
    else if (g.date !== undefined) yield { text: SHAPE.date, shape: true };
    else if (g.time !== undefined) yield { text: SHAPE.time, shape: true };
    else if (g.amount !== undefined) yield { text: SHAPE.amount, shape: true };
    else yield { text: SHAPE.percent, shape: true };
  }
}

/** A word that is mostly letters with a stray digit is a misread word; codes like "a4" or "b2b" stay. */
function foldDigits(word: string): string {
  if (word.length < 4 || !DIGIT.test(word)) return word;
  let digits = 0;
  for (const ch of word) if (ch >= '0' && ch <= '9') digits++;
  if (digits * 4 > word.length) return word;
  let out = '';
  for (const ch of word) out += DIGIT_AS_LETTER[ch] ?? ch;
  return out;
}
