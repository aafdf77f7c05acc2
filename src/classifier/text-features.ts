import { words as englishStopwords } from 'natural/lib/natural/util/stopwords';
import { tokenize } from './text-tokens';

/**
 * Turns text into the terms the local classifier counts: lower-cased, accents and ligatures
 * folded (OCR and typists disagree on them: "Reçu" = "recu", "Straße" = "strasse"), stop words
 * of the taxonomy's five languages dropped, plural endings trimmed by a language-neutral rule
 * (see `stem`), plus adjacent-pair bigrams so phrases such as "opening balance" or "amount due"
 * count as one feature. Numbers count by their shape (text-tokens).
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
  // Spanish
  'el',
  'los',
  'las',
  'del',
  'con',
  'por',
  'para',
  'una',
  'su',
  'sus',
  'se',
  'es',
  'al',
  'lo',
  'como',
  'mas',
];
const STOPWORDS = new Set([...englishStopwords, ...EXTRA_STOPWORDS]);

const MARKS = /\p{M}+/gu;
/** Letters NFKD leaves whole. */
const LIGATURES: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ı: 'i' };
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');

/**
 * A language-neutral stem: the plural or inflection ending that English, French, Spanish, Dutch
 * and German words share is trimmed ("invoices", "factures", "facturas" -> "invoice", "facture",
 * "factura"; "rekeningen" -> "rekening"), nothing else. An English stemmer (Porter) would cut
 * French, German or Spanish words by English rules ("releve" -> "relev", "nomina" -> "nomina"
 * but "nominas" -> "nomina"), and merge words that mean different things in the other languages.
 */
export function stem(word: string): string {
  const n = word.length;
  if (n <= 4) return word;
  if (word.endsWith('ies') && n > 5) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ingen') && n > 7) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is'))
    return word.slice(0, -1);
  return word;
}

/** Lower case, accents and ligatures folded: "Kündigung" -> "kundigung", "Numéro" -> "numero", "Straße" -> "strasse". */
export function normalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(LIGATURE, (ch) => LIGATURES[ch]);
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
