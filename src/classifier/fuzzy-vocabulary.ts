/**
 * Maps a misread word to the model's word one edit away ("recelpt" -> "receipt", "surnarne" ->
 * "surname"), so OCR noise does not erase the few words a photo of a receipt or an ID card holds.
 * One edit: a character misread (same position deleted from both), dropped (the word is a known
 * word minus one character) or added (the word minus one character is known). Only words of
 * MIN_LENGTH characters and more, on both sides, take part: short words are too close to each
 * other ("form", "from") for a correction to be trusted. Ambiguous words are left alone.
 */
const MIN_LENGTH = 6;
/** Corrections remembered per vocabulary; documents repeat their misreadings. */
const CACHE_LIMIT = 20_000;

export class FuzzyVocabulary {
  /** `<position>:<word minus that character>` -> the known word (null when two share it). */
  private readonly substitutions = new Map<string, string | null>();
  /** Known word minus any one character -> the known word (null when two share it). */
  private readonly drops = new Map<string, string | null>();
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly known: ReadonlySet<string>) {
    for (const word of known) {
      if (word.length < MIN_LENGTH || !isPlainWord(word)) continue;
      for (let i = 0; i < word.length; i++) {
        const rest = word.slice(0, i) + word.slice(i + 1);
        remember(this.substitutions, `${i}:${rest}`, word);
        if (rest.length >= MIN_LENGTH) remember(this.drops, rest, word);
      }
    }
  }

  /** The known word this word is a misreading of, or the word itself. */
  correct(word: string): string {
    if (word.length < MIN_LENGTH || this.known.has(word) || !isPlainWord(word)) return word;
    let hit = this.cache.get(word);
    if (hit === undefined) {
      hit = this.lookup(word);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, hit);
    }
    return hit ?? word;
  }

  private lookup(word: string): string | null {
    const candidates = new Set<string | null>();
    const dropped = this.drops.get(word);
    if (dropped !== undefined) candidates.add(dropped);
    for (let i = 0; i < word.length; i++) {
      const rest = word.slice(0, i) + word.slice(i + 1);
      const misread = this.substitutions.get(`${i}:${rest}`);
      if (misread !== undefined) candidates.add(misread);
      if (rest.length >= MIN_LENGTH && this.known.has(rest)) candidates.add(rest);
    }
    if (candidates.size !== 1) return null;
    return candidates.values().next().value ?? null;
  }
}

function remember(map: Map<string, string | null>, key: string, word: string): void {
  const seen = map.get(key);
  map.set(key, seen === undefined || seen === word ? word : null);
}

/** Shape tokens and bigrams are not words to correct. */
function isPlainWord(term: string): boolean {
  return !term.includes(' ') && !term.startsWith('<');
}
