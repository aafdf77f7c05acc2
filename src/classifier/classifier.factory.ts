import OpenAI from 'openai';
import type { AppConfig } from '../config/app-config';
import type { Classifier } from './classifier.port';
import { LocalClassifier } from './local.classifier';
import { DEFAULT_OPENAI_SETTINGS, OpenAIClassifier } from './openai.classifier';
import type { Taxonomy } from './taxonomy';
import type { TrainingExamples } from './training-examples';
import { DEFAULT_VISION_SETTINGS } from './vision-pages';

/** Retries of one call by the SDK (429 with Retry-After, 408/409, 5xx, timeouts, connection errors). */
export const OPENAI_MAX_RETRIES = 3;

/** The one place the classifier is chosen; the provider was validated (and 'auto' resolved) by AppConfig. */
export function createClassifier(config: AppConfig, examples: TrainingExamples, taxonomy: Taxonomy): Classifier {
  const c = config.classifier;
  switch (c.provider) {
    case 'openai': {
      const client = new OpenAI({
        apiKey: c.openaiApiKey,
        baseURL: c.openaiBaseUrl,
        timeout: c.openaiTimeoutMs,
        maxRetries: OPENAI_MAX_RETRIES,
      });
      return new OpenAIClassifier(
        client,
        {
          ...DEFAULT_OPENAI_SETTINGS,
          model: c.openaiModel,
          maxInputTokens: c.maxInputTokens,
          concurrency: c.openaiConcurrency,
          vision: c.vision ? DEFAULT_VISION_SETTINGS : null,
        },
        examples,
      );
    }
    case 'local':
      return new LocalClassifier(examples, taxonomy.categories);
  }
}
