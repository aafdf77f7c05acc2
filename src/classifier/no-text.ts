import type { Classification } from './classifier.port';
import { OTHER } from './taxonomy';

/**
 * A document with no readable text (blank page, failed OCR) is not an error: it is labelled
 * 'other' with confidence 0, without asking any model, so it costs nothing and never fails a job.
 */
export function hasText(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

export function noTextClassification(classifier: string, model?: string, promptVersion?: string): Classification {
  return {
    label: OTHER,
    confidence: 0,
    reasons: ['no text could be read'],
    classifier,
    ...(model ? { model } : {}),
    ...(promptVersion ? { promptVersion } : {}),
  };
}
