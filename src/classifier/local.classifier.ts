import { Classifier, type Classification, type ClassificationInput } from './classifier.port';
import { CentroidModel, DEFAULT_MODEL_SETTINGS, type CentroidModelSettings, type ClassScore } from './centroid.model';
import { hasText, noTextClassification } from './no-text';
import { OTHER, type Category } from './taxonomy';
import type { TrainingExamples } from './training-examples';

export interface LocalClassifierSettings {
  /**
   * Softmax temperature turning class scores into probabilities. 0.06 minimises negative
   * log-likelihood on the corpus's 85 labelled documents with text (text layers and tesseract
   * OCR), taxonomy-only (0.05-0.06) and leave-one-group-out (0.06).
   */
  temperature: number;
  /** Below this probability the best class is not trusted and the answer is 'other'. */
  minConfidence: number;
  /** Below this score the text has no real evidence for any class (centroid + keywords ~ 0). */
  minScore: number;
  model: CentroidModelSettings;
}

export const DEFAULT_LOCAL_SETTINGS: LocalClassifierSettings = {
  temperature: 0.06,
  // Both thresholds keep every made-up non-document of the unit tests 'other' while costing no
  // corpus document (OCR text of photos scores low: 0.1-0.2 for a noisy ID card photo).
  minConfidence: 0.4,
  minScore: 0.1,
  model: DEFAULT_MODEL_SETTINGS,
};

export const LOCAL_MODEL_NAME = 'tfidf-centroid-v2';
/** Models kept per (corrections revision, category set); requests rarely narrow categories. */
const MODEL_CACHE_SIZE = 4;

/**
 * The classifier that needs no network: a TF-IDF nearest-centroid model with keyword features
 * (see CentroidModel), trained on the taxonomy and on recorded corrections, retrained when
 * corrections change. Microseconds to milliseconds per document: never the bottleneck next to OCR.
 */
export class LocalClassifier extends Classifier {
  private readonly models = new Map<string, CentroidModel>();

  constructor(
    private readonly examples: TrainingExamples | null,
    private readonly settings: LocalClassifierSettings = DEFAULT_LOCAL_SETTINGS,
  ) {
    super();
  }

  async classify(input: ClassificationInput): Promise<Classification> {
    input.signal.throwIfAborted();
    if (!hasText(input.text)) return noTextClassification('local', LOCAL_MODEL_NAME);
    const model = await this.modelFor(input.categories);
    return this.decide(model.score(input.text), input.categories);
  }

  private async modelFor(categories: readonly Category[]): Promise<CentroidModel> {
    const snapshot = this.examples ? await this.examples.current() : { revision: 'none', examples: [] };
    const key = `${snapshot.revision}|${categories.map((c) => c.id).join(',')}`;
    let model = this.models.get(key);
    if (!model) {
      model = CentroidModel.train(categories, snapshot.examples, this.settings.model);
      if (this.models.size >= MODEL_CACHE_SIZE) this.models.delete(this.models.keys().next().value!);
      this.models.set(key, model);
    }
    return model;
  }

  private decide(scores: ClassScore[], categories: readonly Category[]): Classification {
    const probabilities = softmax(
      scores.map((s) => s.score),
      this.settings.temperature,
    );
    const [best] = scores;
    const p = probabilities[0];
    const name = (id: string) => categories.find((c) => c.id === id)?.label ?? id;
    const evidence = evidenceFor(best);
    const base = { classifier: 'local', model: LOCAL_MODEL_NAME };
    if (best.label !== OTHER && (best.score < this.settings.minScore || p < this.settings.minConfidence)) {
      return {
        ...base,
        label: OTHER,
        confidence: round(1 - p),
        reasons: [
          `no document type fits well enough: best guess ${name(best.label)} at ${round(p)} ` +
            `(needs ${this.settings.minConfidence}) with score ${round(best.score)}`,
          ...evidence,
        ],
      };
    }
    const runnerUp = scores[1];
    return {
      ...base,
      label: best.label,
      confidence: round(p),
      reasons: [...evidence, ...(runnerUp ? [`runner-up: ${name(runnerUp.label)} (${round(probabilities[1])})`] : [])],
    };
  }
}

function evidenceFor(s: ClassScore): string[] {
  const out: string[] = [];
  if (s.keywords.length > 0) out.push(`keywords: ${s.keywords.slice(0, 8).join(', ')}`);
  if (s.terms.length > 0) out.push(`characteristic words: ${s.terms.join(', ')}`);
  if (s.neighbour >= 0.5)
    out.push(`resembles a corrected document labelled ${s.label} (similarity ${round(s.neighbour)})`);
  return out;
}

function softmax(xs: number[], temperature: number): number[] {
  const max = Math.max(...xs);
  const exps = xs.map((x) => Math.exp((x - max) / temperature));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
