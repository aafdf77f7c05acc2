import type { Category } from './taxonomy';
import { FuzzyVocabulary } from './fuzzy-vocabulary';
import { phraseTerm, stems, termCounts } from './text-features';

/** A document whose right label is known (a recorded correction). */
export interface LabelledText {
  label: string;
  text: string;
}

/** One page of a document to score. */
export interface PageText {
  number: number;
  text: string;
}

/** Where a piece of evidence was found. */
export interface Evidence {
  /** The keyword or word as written in the document. */
  term: string;
  /** The first page it occurs on. */
  page: number;
}

export interface CentroidModelSettings {
  /** How many labelled documents the taxonomy's own description is worth in a centroid. */
  priorWeight: number;
  /** Weight of the nearest labelled document's similarity in a class score. */
  neighbourWeight: number;
  /** Weight of the keyword feature in a class score. */
  keywordWeight: number;
  /** Characters read from the start and from the end of a long text. */
  headChars: number;
  tailChars: number;
  /**
   * How many times the first page's words count in a document of several pages: the first page
   * says what a document is (title, letterhead, form name); later pages are its body.
   */
  firstPageWeight: number;
}

export const DEFAULT_MODEL_SETTINGS: CentroidModelSettings = {
  priorWeight: 2,
  neighbourWeight: 0.5,
  keywordWeight: 0.6,
  headChars: 20_000,
  tailChars: 5_000,
  firstPageWeight: 2,
};

export interface ClassScore {
  label: string;
  score: number;
  /** Cosine similarity to the class centroid. */
  centroid: number;
  /** Cosine similarity to the nearest labelled document of the class (0 without any). */
  neighbour: number;
  /** Keywords of the class found in the text, as written there, with the page they are on. */
  keywords: Evidence[];
  /** The terms that weigh most in the centroid similarity, as written in the text, with their page. */
  terms: Evidence[];
}

type Vector = Map<string, number>;

/** Only the strongest terms of a labelled document take part in nearest-neighbour search. */
const NEIGHBOUR_TERMS = 200;
/** Keywords seen in the first stems of a text (its title, letterhead) count more. */
const TITLE_STEMS = 40;
/**
 * Keywords count only near the start and the end of a text (where titles, salutations, totals
 * and signatures are): in the middle of a 14-page letter, "claim" or "conclusion" says nothing.
 */
const KEYWORD_HEAD_STEMS = 600;
const KEYWORD_TAIL_STEMS = 200;
const TITLE_BOOST = 1.5;
/** Keyword evidence saturates: the third keyword adds less than the first. */
const KEYWORD_SATURATION = 3;
const KEYWORD_PHRASE_REPEAT = 2;

interface KeywordEntry {
  phrase: string;
  /** Terms that must all occur: one unigram or bigram, or the bigrams of a longer phrase. */
  terms: string[];
  /** 1 / number of classes sharing the keyword: "date of birth" says little between forms and IDs. */
  weight: number;
}

/**
 * TF-IDF nearest-centroid text classifier with a nearest-neighbour term and keyword features.
 * Each class's centroid blends its taxonomy entry (label, description, keywords, examples) with
 * the labelled documents of that class, so it works with no labelled data at all and improves
 * as corrections arrive; the nearest-neighbour term lets one correction of a recurring template
 * win its look-alikes even when the class as a whole is varied (resumes, forms). Scores are in
 * roughly [0, 2]; LocalClassifier turns them into probabilities.
 */
export class CentroidModel {
  private constructor(
    readonly labels: readonly string[],
    private readonly idf: Map<string, number>,
    private readonly centroids: Map<string, Vector>,
    private readonly neighbourIndex: Map<string, Array<{ doc: number; weight: number }>>,
    private readonly neighbourLabels: readonly string[],
    private readonly keywords: Map<string, KeywordEntry[]>,
    private readonly settings: CentroidModelSettings,
    private readonly vocabulary = new FuzzyVocabulary(new Set(idf.keys())),
  ) {}

  static train(
    categories: readonly Category[],
    documents: readonly LabelledText[],
    settings: CentroidModelSettings = DEFAULT_MODEL_SETTINGS,
  ): CentroidModel {
    const ids = new Set(categories.map((c) => c.id));
    const usable = documents.filter((d) => ids.has(d.label) || d.label === 'other');
    const labels = [...ids];
    if (usable.some((d) => d.label === 'other')) labels.push('other');

    const priorCounts = new Map(categories.map((c) => [c.id, categoryCounts(c)]));
    const docCounts = usable.map((d) => documentCounts(storedPages(d.text), settings, (t) => stems(t)).counts);

    const df = new Map<string, number>();
    for (const counts of [...priorCounts.values(), ...docCounts]) {
      for (const term of counts.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    }
    const n = priorCounts.size + docCounts.length;
    const idf = new Map<string, number>();
    for (const [term, d] of df) idf.set(term, Math.log((1 + n) / (1 + d)) + 1);

    const sums = new Map<string, Vector>(labels.map((l) => [l, new Map()]));
    for (const [id, counts] of priorCounts) addInto(sums.get(id)!, weigh(counts, idf), settings.priorWeight);
    const neighbourIndex = new Map<string, Array<{ doc: number; weight: number }>>();
    docCounts.forEach((counts, i) => {
      const vector = weigh(counts, idf);
      addInto(sums.get(usable[i].label)!, vector, 1);
      const strongest = [...vector].sort((a, b) => b[1] - a[1]).slice(0, NEIGHBOUR_TERMS);
      const pruned = normalizeVector(new Map(strongest));
      for (const [term, weight] of pruned) {
        let postings = neighbourIndex.get(term);
        if (!postings) neighbourIndex.set(term, (postings = []));
        postings.push({ doc: i, weight });
      }
    });
    const centroids = new Map<string, Vector>();
    for (const [label, sum] of sums) centroids.set(label, normalizeVector(sum));

    return new CentroidModel(
      labels,
      idf,
      centroids,
      neighbourIndex,
      usable.map((d) => d.label),
      keywordEntries(categories),
      settings,
    );
  }

  /** Every class's score for a document's pages, best first. */
  score(pages: readonly PageText[]): ClassScore[] {
    const surface = new Map<string, string>();
    const { counts, plain, tokens, perPage } = documentCounts(pages, this.settings, (text) =>
      stems(text, surface).map((t) => {
        const known = this.vocabulary.correct(t);
        if (known !== t && !surface.has(known)) surface.set(known, surface.get(t) ?? t);
        return known;
      }),
    );
    const firstPage = perPage[0]?.tokens ?? [];
    // Words per page, for telling where evidence is (a phrase: all its words on that page).
    const pageTerms = perPage.map((p) => ({ number: p.number, terms: new Set(p.tokens) }));
    const title = termCounts(firstPage.slice(0, TITLE_STEMS));
    // Keywords only on later pages count less: an invoice attached to a letter is still a letter.
    const laterPages = pageTerms.length > 1;
    const firstPageTerms = pageTerms.length > 1 ? termCounts(firstPage) : plain;
    const region =
      tokens.length <= KEYWORD_HEAD_STEMS + KEYWORD_TAIL_STEMS
        ? plain
        : merge(termCounts(tokens.slice(0, KEYWORD_HEAD_STEMS)), termCounts(tokens.slice(-KEYWORD_TAIL_STEMS)));
    const vector = weigh(counts, this.idf);
    const neighbours = this.nearestByLabel(vector);
    const show = (term: string): Evidence => ({
      term: term
        .split(' ')
        .map((s) => surface.get(s) ?? s)
        .join(' '),
      page: pageTerms.find((p) => term.split(' ').every((t) => p.terms.has(t)))?.number ?? pages[0]?.number ?? 1,
    });

    // Longest match wins: a word read once, inside another type's matched phrase ("factura" in
    // "factura simplificada", "bon" in "bon de commande"), is not also that word's keyword.
    const inPhrases = new Map<string, Set<string>>();
    for (const [label, entries] of this.keywords) {
      for (const k of entries) {
        if (!k.phrase.includes(' ') || !k.terms.every((t) => region.has(t))) continue;
        for (const word of k.phrase.split(' ')) {
          if (!inPhrases.has(word)) inPhrases.set(word, new Set());
          inPhrases.get(word)!.add(label);
        }
      }
    }
    const claimedElsewhere = (word: string, label: string) =>
      region.get(word) === 1 && [...(inPhrases.get(word) ?? [])].some((other) => other !== label);

    const scores = this.labels.map((label): ClassScore => {
      const centroid = this.centroids.get(label)!;
      let cos = 0;
      const contributions: Array<[string, number]> = [];
      for (const [term, w] of vector) {
        const c = centroid.get(term);
        if (c !== undefined) {
          cos += w * c;
          contributions.push([term, w * c]);
        }
      }
      let keywordMass = 0;
      const matched: string[] = [];
      for (const k of this.keywords.get(label) ?? []) {
        if (!k.terms.every((t) => region.has(t))) continue;
        if (!k.phrase.includes(' ') && claimedElsewhere(k.phrase, label)) continue;
        const place = k.terms.every((t) => title.has(t))
          ? TITLE_BOOST
          : laterPages && !k.terms.every((t) => firstPageTerms.has(t))
            ? 1 / this.settings.firstPageWeight
            : 1;
        keywordMass += k.weight * place;
        matched.push(k.terms.length === 1 ? k.terms[0] : k.phrase);
      }
      const keywordScore = 1 - Math.exp(-keywordMass / KEYWORD_SATURATION);
      const neighbour = neighbours.get(label) ?? 0;
      return {
        label,
        score: cos + this.settings.neighbourWeight * neighbour + this.settings.keywordWeight * keywordScore,
        centroid: cos,
        neighbour,
        keywords: matched.map(show),
        terms: contributions
          .sort((a, b) => b[1] - a[1])
          .slice(0, 6)
          .map(([t]) => show(t)),
      };
    });
    return scores.sort((a, b) => b.score - a.score);
  }

  /** Highest cosine similarity to a labelled document, per label (inverted index walk). */
  private nearestByLabel(vector: Vector): Map<string, number> {
    const dots = new Map<number, number>();
    for (const [term, w] of vector) {
      for (const p of this.neighbourIndex.get(term) ?? []) dots.set(p.doc, (dots.get(p.doc) ?? 0) + w * p.weight);
    }
    const best = new Map<string, number>();
    for (const [doc, dot] of dots) {
      const label = this.neighbourLabels[doc];
      if (dot > (best.get(label) ?? 0)) best.set(label, dot);
    }
    return best;
  }
}

/**
 * A document's term counts, its first page's words counting `firstPageWeight` times when there
 * are several pages (`counts`), and as read (`plain`). Long documents keep their beginning
 * (title, parties) and their end (totals, signatures), `headChars` and `tailChars` of them.
 */
function documentCounts(
  pages: readonly PageText[],
  s: CentroidModelSettings,
  tokenize: (text: string) => string[],
): {
  counts: Map<string, number>;
  plain: Map<string, number>;
  tokens: string[];
  perPage: Array<{ number: number; tokens: string[] }>;
} {
  const perPage = cutPages(pages, s).map((p) => ({ number: p.number, tokens: tokenize(p.text) }));
  const tokens = perPage.flatMap((p) => p.tokens);
  const plain = termCounts(tokens);
  if (perPage.length <= 1 || s.firstPageWeight === 1) return { counts: plain, plain, tokens, perPage };
  const counts = new Map(plain);
  for (const [term, n] of termCounts(perPage[0].tokens))
    counts.set(term, counts.get(term)! + n * (s.firstPageWeight - 1));
  return { counts, plain, tokens, perPage };
}

/** The pages (or parts of pages) within the first `headChars` and the last `tailChars` characters. */
function cutPages(pages: readonly PageText[], s: CentroidModelSettings): PageText[] {
  const total = pages.reduce((n, p) => n + p.text.length, 0);
  if (total <= s.headChars + s.tailChars) return [...pages];
  const tailStart = total - s.tailChars;
  const out: PageText[] = [];
  let start = 0;
  for (const p of pages) {
    const end = start + p.text.length;
    const pieces: string[] = [];
    if (start < s.headChars) pieces.push(p.text.slice(0, s.headChars - start));
    if (end > tailStart) pieces.push(p.text.slice(Math.max(0, tailStart - start)));
    if (pieces.length > 0) out.push({ number: p.number, text: pieces.join('\n') });
    start = end;
  }
  return out;
}

/** Stored text (a correction) back into pages: the worker joins pages with "--- page N ---" lines. */
export function storedPages(text: string): PageText[] {
  const parts = text.split(/^--- page (\d+) ---$/m);
  if (parts.length === 1) return [{ number: 1, text }];
  const pages: PageText[] = [];
  for (let i = 1; i + 1 < parts.length; i += 2) pages.push({ number: Number(parts[i]), text: parts[i + 1] });
  return pages;
}

/** A taxonomy entry as term counts; keywords are repeated so they outweigh description prose. */
function categoryCounts(c: Category): Map<string, number> {
  const counts = termCounts(stems(`${c.label}. ${c.description}`));
  const add = (more: Map<string, number>, times: number) => {
    for (const [t, n] of more) counts.set(t, (counts.get(t) ?? 0) + n * times);
  };
  for (const k of c.keywords) add(termCounts(stems(k)), KEYWORD_PHRASE_REPEAT);
  for (const e of c.examples ?? []) add(termCounts(stems(e)), 1);
  return counts;
}

function keywordEntries(categories: readonly Category[]): Map<string, KeywordEntry[]> {
  const byClass = new Map<string, Array<{ phrase: string; terms: string[] }>>();
  const classesPerTerm = new Map<string, Set<string>>();
  for (const c of categories) {
    const entries: Array<{ phrase: string; terms: string[] }> = [];
    for (const k of c.keywords) {
      const phrase = phraseTerm(k);
      if (!phrase || entries.some((e) => e.phrase === phrase)) continue;
      const parts = phrase.split(' ');
      const terms = parts.length <= 2 ? [phrase] : parts.slice(1).map((p, i) => `${parts[i]} ${p}`);
      entries.push({ phrase, terms });
      if (!classesPerTerm.has(phrase)) classesPerTerm.set(phrase, new Set());
      classesPerTerm.get(phrase)!.add(c.id);
    }
    byClass.set(c.id, entries);
  }
  const out = new Map<string, KeywordEntry[]>();
  for (const [id, entries] of byClass) {
    out.set(
      id,
      entries.map((e) => ({ ...e, weight: 1 / classesPerTerm.get(e.phrase)!.size })),
    );
  }
  return out;
}

/** Sublinear TF times IDF, L2-normalised; terms unknown to the model carry no weight. */
function weigh(counts: Map<string, number>, idf: Map<string, number>): Vector {
  const v: Vector = new Map();
  for (const [term, n] of counts) {
    const w = idf.get(term);
    if (w !== undefined) v.set(term, (1 + Math.log(n)) * w);
  }
  return normalizeVector(v);
}

function normalizeVector(v: Vector): Vector {
  let sq = 0;
  for (const w of v.values()) sq += w * w;
  if (sq === 0) return v;
  const norm = Math.sqrt(sq);
  const out: Vector = new Map();
  for (const [t, w] of v) out.set(t, w / norm);
  return out;
}

function merge(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  for (const [t, n] of b) a.set(t, (a.get(t) ?? 0) + n);
  return a;
}

function addInto(target: Vector, v: Vector, times: number): void {
  for (const [t, w] of v) target.set(t, (target.get(t) ?? 0) + w * times);
}
