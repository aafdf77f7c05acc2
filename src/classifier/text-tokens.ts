/**
 * Splits normalised text into words and shape tokens. Numbers say a lot about a document's
 * type but never repeat between documents as words do, so their shapes become tokens: `<amount>`
 * (till slips and statements are dense with them), `<date>`, `<time>` (receipts print the time
 * of sale), `<percent>` and `<mrz>` (the `P<UTO...<<<<` lines of passports and ID cards). Forms
 * give `<blank>` (a line to write on: `____`) and `<checkbox>` (☐, [ ], [x]).
 * Shape tokens start with '<', which no word does, so they never collide with a word's stem.
 */

export const SHAPE = {
  mrz: '<mrz>',
  date: '<date>',
  time: '<time>',
  amount: '<amount>',
  percent: '<percent>',
  blank: '<blank>',
  checkbox: '<checkbox>',
} as const;

const MONTHS = 'jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec';

type Kind = keyof typeof SHAPE | 'word';

const PATTERNS: Record<Kind, string> = {
  // A run of letters, digits and fillers holding a double filler; OCR reads '<' as '<', '«' or '‹'.
  mrz: String.raw`[a-z0-9<«‹]*[<«‹]{2}[a-z0-9<«‹]*`,
  word: String.raw`\p{L}[\p{L}\p{N}]*`,
  date: String.raw`\b(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|\d{1,2}[ -]?(?:${MONTHS})[a-z]*[ -]?(?:\d{4}|\d{2}))(?!\d)`,
  time: String.raw`\b\d{1,2}:\d{2}(?::\d{2})?(?!\d)`,
  amount: String.raw`\d{1,3}(?:[,.' ]\d{3})*[.,]\d{2}(?![\d.,]\d)`,
  percent: String.raw`\d{1,3}(?:[.,]\d{1,2})?\s?%`,
  // Lines to write on and boxes to tick: what forms in any language are made of.
  blank: String.raw`_{3,}`,
  checkbox: String.raw`[☐□☑☒❑❒]|\[ ?[x✓✔]? ?\]`,
};

/** Alternatives are tried left to right at each position; groups are read by position (faster than named). */
function tokenRegex(kinds: Kind[]): { regex: RegExp; kinds: Kind[] } {
  return { regex: new RegExp(kinds.map((k) => `(${PATTERNS[k]})`).join('|'), 'gu'), kinds };
}
// MRZ lines start with a letter, so they must be tried before words; texts without a double
// filler (nearly all) skip that costly branch.
const WITH_MRZ = tokenRegex(['mrz', 'word', 'date', 'time', 'amount', 'percent', 'blank', 'checkbox']);
const PLAIN = tokenRegex(['word', 'date', 'time', 'amount', 'percent', 'blank', 'checkbox']);
const HAS_FILLERS = /[<«‹]{2}/;

/** OCR reads letters as look-alike digits inside words ("T0TAL", "RECE1PT"). */
const DIGIT_AS_LETTER: Record<string, string> = { '0': 'o', '1': 'l', '5': 's', '8': 'b', '6': 'b' };
const HAS_DIGIT = /\d/;

export interface Token {
  /** A word (lower case, accents folded by the caller) or a SHAPE value. */
  text: string;
  shape: boolean;
}

/** Words and shapes of already-normalised text, in order. */
export function tokenize(normalised: string): Token[] {
  const { regex, kinds } = HAS_FILLERS.test(normalised) ? WITH_MRZ : PLAIN;
  const out: Token[] = [];
  for (const m of normalised.matchAll(regex)) {
    let i = 1;
    while (m[i] === undefined) i++;
    const kind = kinds[i - 1];
    out.push(kind === 'word' ? { text: foldDigits(m[i]), shape: false } : { text: SHAPE[kind], shape: true });
  }
  return out;
}

/** A word that is mostly letters with a stray digit is a misread word; codes like "a4" or "b2b" stay. */
function foldDigits(word: string): string {
  if (word.length < 4 || !HAS_DIGIT.test(word)) return word;
  let digits = 0;
  for (const ch of word) if (ch >= '0' && ch <= '9') digits++;
  if (digits * 4 > word.length) return word;
  let out = '';
  for (const ch of word) out += DIGIT_AS_LETTER[ch] ?? ch;
  return out;
}
