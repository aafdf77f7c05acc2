import type { AppConfig } from '../config/app-config';
import type { Classifier } from './classifier.port';
import { LocalClassifier } from './local.classifier';
import type { Taxonomy } from './taxonomy';
import type { TrainingExamples } from './training-examples';

/**
 * The one place the classifier is chosen; the provider was validated (and 'auto' resolved) by
 * AppConfig. The OpenAI adapter (and its SDK) is loaded only when it is the one chosen.
 */
export async function createClassifier(
  config: AppConfig,
  examples: TrainingExamples,
  taxonomy: Taxonomy,
): Promise<Classifier> {
  const c = config.classifier;
  switch (c.provider) {
    case 'openai':
      return (await import('./openai.classifier.js')).openAIClassifierFor(c, examples);
    case 'local':
      return new LocalClassifier(examples, taxonomy.categories);
  }
}
