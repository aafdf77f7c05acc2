import { createHash } from 'node:crypto';
import {
  bestTypeConfidence,
  calibratedProbabilities,
  LOCAL_CALIBRATION,
  scoreMargin,
  type LocalCalibration,
} from './calibration';
import { Classifier, type Classification, type ClassificationInput } from './classifier.port';
import {
  CentroidModel,
  DEFAULT_MODEL_SETTINGS,
  type CentroidModelSettings,
  type ClassScore,
  type Evidence,
} from './centroid.model';
import { hasText, noTextClassification } from './no-text';
import { OTHER, type Category } from './taxonomy';
import type { TrainingExamples } from './training-examples';

export interface LocalClassifierSettings {
  /** Class scores -> probabilities (fitted; see calibration.ts). */
  calibration: LocalCalibration;
  /** Below this probability the best type is not trusted and the answer is 'other'. */
  minConfidence: number;
  /** Below this score the text has no real evidence for any class (centroid + keywords ~ 0). */
  minScore: number;
  model: CentroidModelSettings;
}

export const DEFAULT_LOCAL_SETTINGS: LocalClassifierSettings = {
  calibration: LOCAL_CALIBRATION,
  // With calibrated probabilities, 'other' means "the best type is less likely right than wrong".
  minConfidence: 0.5,
  // No evidence for any type: the calibration, fitted on a corpus where every document is one of
  // the types, cannot know what a recipe or a news item looks like. 0.15 keeps every made-up
  // non-document of the unit tests 'other'; on the corpus only OCR garbage scores under it
  // (the nearest right document above it scores 0.27).
  minScore: 0.15,
  model: DEFAULT_MODEL_SETTINGS,
};

export const LOCAL_MODEL_NAME = 'tfidf-centroid-v3';
/** Models kept per (corrections revision, category set). */
const MODEL_CACHE_SIZE = 4;

/** A type of the whole taxonomy with its calibrated probability, best first. */
export interface RankedType extends ClassScore {
  probability: number;
}

/**
 * The classifier that needs no network: a TF-IDF nearest-centroid model with keyword features
 * (see CentroidModel), trained on the whole taxonomy and on recorded corrections, retrained when
 * corrections change. Every document is ranked against the whole taxonomy, so a request narrowed
 * to a few types still learns the document's real best guess: when that guess is not among the
 * requested types the answer is 'other', with the guess in the reasons. Microseconds to
 * milliseconds per document: never the bottleneck next to OCR.
 */
export class LocalClassifier extends Classifier {
  private readonly models = new Map<string, CentroidModel>();

  constructor(
    private readonly examples: TrainingExamples | null,
    /** The whole taxonomy; null: the categories of each request are all there is. */
    private readonly taxonomy: readonly Category[] | null = null,
    private readonly settings: LocalClassifierSettings = DEFAULT_LOCAL_SETTINGS,
  ) {
    super();
  }

  async classify(input: ClassificationInput): Promise<Classification> {
    input.signal.throwIfAborted();
    if (!input.pages.some((p) => hasText(p.text))) return noTextClassification('local', LOCAL_MODEL_NAME);
    return this.decide(await this.rank(input), input.categories, input.taxonomy ?? this.taxonomy);
  }

  /** Every type of the whole taxonomy (and the request's), scored and calibrated, best first. */
  async rank(
    input: Pick<ClassificationInput, 'pages' | 'categories' | 'tenantId' | 'taxonomy'>,
  ): Promise<RankedType[]> {
    const model = await this.modelFor(
      this.allCategories(input.categories, input.taxonomy ?? this.taxonomy),
      input.tenantId,
    );
    const scores = model.score(input.pages.map((p) => ({ number: p.number, text: p.text })));
    const probabilities = calibratedProbabilities(
      scores.map((s) => s.score),
      this.settings.calibration,
    );
    return scores.map((s, i) => ({ ...s, probability: probabilities[i] }));
  }

  private allCategories(requested: readonly Category[], taxonomy: readonly Category[] | null): readonly Category[] {
    if (!taxonomy) return requested;
    const known = new Set(taxonomy.map((c) => c.id));
    const extra = requested.filter((c) => !known.has(c.id));
    return extra.length === 0 ? taxonomy : [...taxonomy, ...extra];
  }

  /** The model of the tenant's corrections (and only its) over these categories. */
  private async modelFor(categories: readonly Category[], tenantId: string | undefined): Promise<CentroidModel> {
    const snapshot = this.examples ? await this.examples.current(tenantId) : { revision: 'none', examples: [] };
    // The revision names the tenant; the fingerprint tells taxonomies with the same ids apart.
    const key = `${snapshot.revision}|${categoriesFingerprint(categories)}`;
    let model = this.models.get(key);
    if (!model) {
      model = CentroidModel.train(categories, snapshot.examples, this.settings.model);
      if (this.models.size >= MODEL_CACHE_SIZE) this.models.delete(this.models.keys().next().value!);
      this.models.set(key, model);
    }
    return model;
  }

  private decide(
    ranking: RankedType[],
    allowed: readonly Category[],
    taxonomy: readonly Category[] | null,
  ): Classification {
    const name = (id: string) =>
      allowed.find((c) => c.id === id)?.label ?? taxonomy?.find((c) => c.id === id)?.label ?? id;
    const allowedIds = new Set(allowed.map((c) => c.id));
    const base = { classifier: 'local', model: LOCAL_MODEL_NAME };
    const overall = ranking[0];
    // The best type the request allows ('other' learnt from corrections is not a type).
    const best = ranking.find((r) => allowedIds.has(r.label));
    const narrowedAway =
      overall.label !== OTHER && !allowedIds.has(overall.label)
        ? [
            `best guess from the whole taxonomy: ${name(overall.label)} (${round(overall.probability)}), not a requested type`,
          ]
        : [];
    if (!best) {
      return { ...base, label: OTHER, confidence: 0, reasons: ['none of the requested types fits', ...narrowedAway] };
    }
    const evidence = evidenceFor(best);
    // The confidence step was fitted on documents' best types; a type behind a better one that
    // the request left out keeps at most its (temperature-calibrated) softmax probability.
    // Its lead over every other type of the whole taxonomy (behind a better one: negative).
    const margin = scoreMargin(
      best.score,
      ranking.filter((r) => r !== best && r.label !== OTHER).map((r) => r.score),
    );
    const calibrated = bestTypeConfidence(margin, best.score, this.settings.calibration);
    const confidence = round(best === overall ? calibrated : Math.min(calibrated, best.probability));
    if (overall.label === OTHER) {
      return {
        ...base,
        label: OTHER,
        confidence,
        reasons: [
          `resembles a document corrected to ${OTHER} (similarity ${round(overall.neighbour)})`,
          `best type ${name(best.label)} at ${confidence}`,
        ],
      };
    }
    if (best.score < this.settings.minScore || confidence < this.settings.minConfidence) {
      return {
        ...base,
        label: OTHER,
        // One meaning: 'other' always comes with a confidence under the threshold.
        confidence: Math.min(confidence, round(this.settings.minConfidence - 0.01)),
        reasons: [
          `no ${narrowedAway.length > 0 ? 'requested ' : ''}document type fits well enough: best ${narrowedAway.length > 0 ? 'requested type' : 'guess'} ${name(best.label)} at ${confidence} ` +
            `(needs ${this.settings.minConfidence}) with score ${round(best.score)} (needs ${this.settings.minScore})`,
          ...narrowedAway,
          ...evidence,
        ],
      };
    }
    const runnerUp = ranking.find((r) => r !== best && r.label !== OTHER);
    return {
      ...base,
      label: best.label,
      confidence,
      reasons: [
        ...evidence,
        ...(runnerUp ? [`runner-up: ${name(runnerUp.label)} (${round(runnerUp.probability)})`] : []),
      ],
    };
  }
}

const fingerprints = new WeakMap<readonly Category[], string>();

/** What the categories are (ids, keywords, descriptions), memoised per list. */
function categoriesFingerprint(categories: readonly Category[]): string {
  let fingerprint = fingerprints.get(categories);
  if (!fingerprint) {
    fingerprint = createHash('sha1').update(JSON.stringify(categories)).digest('base64url');
    fingerprints.set(categories, fingerprint);
  }
  return fingerprint;
}

function evidenceFor(s: ClassScore): string[] {
  const out: string[] = [];
  if (s.keywords.length > 0) out.push(`keywords ${byPage(s.keywords.slice(0, 8))}`);
  if (s.terms.length > 0) out.push(`characteristic words ${byPage(s.terms)}`);
  if (s.neighbour >= 0.5)
    out.push(`resembles a corrected document labelled ${s.label} (similarity ${round(s.neighbour)})`);
  return out;
}

/** "on page 1: rechnung, mwst; on page 2: iban" */
function byPage(evidence: readonly Evidence[]): string {
  const pages = new Map<number, string[]>();
  for (const e of evidence) {
    const terms = pages.get(e.page) ?? [];
    if (!terms.includes(e.term)) terms.push(e.term);
    pages.set(e.page, terms);
  }
  return [...pages]
    .sort((a, b) => a[0] - b[0])
    .map(([page, terms]) => `on page ${page}: ${terms.join(', ')}`)
    .join('; ');
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
