import PorterStemmer from 'natural/lib/natural/stemmers/porter_stemmer';
import { words as englishStopwords } from 'natural/lib/natural/util/stopwords';
import { tokenize } from './text-tokens';

/**
 * Turns text into the terms the local classifier counts: lower-cased, accents folded (OCR and
 * typists disagree on them), stop words dropped, Porter-stemmed (English rules; for French,
 * German and Dutch it mostly trims plural endings, which is what we want), plus adjacent-pair
 * bigrams so phrases such as "opening balance" or "amount due" count as one feature. Numbers
 * count by their shape (text-tokens).
 */

// Function words of the corpus languages besides English; IDF would down-weight them anyway,
// but dropping them keeps vectors small and bigrams meaningful.
const EXTRA_STOPWORDS = [
  // French
  'le',
  'la',
  'les',
  'un',
  'une',
  'des',
  'du',
  'de',
  'et',
  'en',
  'au',
  'aux',
  'pour',
  'par',
  'sur',
  'dans',
  'est',
  'que',
  'qui',
  'ou',
  'vous',
  'nous',
  'votre',
  'vos',
  'ce',
  'cette',
  'il',
  'elle',
  // German
  'der',
  'die',
  'das',
  'den',
  'dem',
  'des',
  'ein',
  'eine',
  'einer',
  'und',
  'oder',
  'mit',
  'von',
  'zu',
  'zum',
  'zur',
  'im',
  'ist',
  'sie',
  'ich',
  'wir',
  'fur',
  'auf',
  'bei',
  'nicht',
  'sich',
  // Dutch
  'het',
  'een',
  'en',
  'van',
  'voor',
  'op',
  'met',
  'te',
  'ik',
  'je',
  'uw',
  'wij',
  'niet',
  'dat',
];
const STOPWORDS = new Set([...englishStopwords, ...EXTRA_STOPWORDS]);

const MARKS = /\p{M}+/gu;

// Stemming is the costly step; documents repeat words, so a bounded cache pays for itself.
const STEM_CACHE_LIMIT = 50_000;
const stemCache = new Map<string, string>();

function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = PorterStemmer.stem(word);
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** Lower case, accents folded: "Kündigung" -> "kundigung", "Numéro" -> "numero". */
export function normalize(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/**
 * The stemmed content words and shape tokens (see text-tokens) of a text, in order; `surface`
 * (if given) learns a word per stem, for reasons.
 */
export function stems(text: string, surface?: Map<string, string>): string[] {
  const out: string[] = [];
  for (const { text: word, shape } of tokenize(normalize(text))) {
    if (shape) {
      out.push(word);
      continue;
    }
    if (word.length < 2 || word.length > 40 || STOPWORDS.has(word)) continue;
    const s = stem(word);
    out.push(s);
    if (surface && !surface.has(s)) surface.set(s, word);
  }
  return out;
}

/** Unigram and bigram term counts of a stem sequence. */
export function termCounts(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < tokens.length; i++) {
    counts.set(tokens[i], (counts.get(tokens[i]) ?? 0) + 1);
    if (i + 1 < tokens.length) {
      const bigram = `${tokens[i]} ${tokens[i + 1]}`;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
    }
  }
  return counts;
}

/** A keyword or phrase as the term it would produce in a document ("Bank statements" -> "bank statement"). */
export function phraseTerm(phrase: string): string | null {
  const s = stems(phrase);
  return s.length === 0 ? null : s.join(' ');
}
