import type { TextSource } from '../ocr/text-extractor.port';
import type { Category } from './taxonomy';

/** One page of a document as the classifier sees it. */
export interface ClassifierPage {
  /** 1-based page number, as the extractor numbered it. */
  number: number;
  text: string;
  source: TextSource;
  /** OCR confidence 0..1; null when the text was read (text layer, plain text), not recognised. */
  confidence: number | null;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface Classification {
  /** A category id of the taxonomy, or 'other'. */
  label: string;
  /** 0..1 */
  confidence: number;
  /** Short human-readable evidence for the label. */
  reasons: string[];
  /** Which classifier decided: 'local', 'openai', ... */
  classifier: string;
  model?: string;
  promptVersion?: string;
  usage?: TokenUsage;
}

export interface ClassificationInput {
  /** Full document text, pages joined; the classifier decides how much of it to use. */
  text: string;
  pageCount: number;
  filename: string;
  /** The categories allowed for this document (the taxonomy, possibly narrowed by the request). */
  categories: readonly Category[];
  signal: AbortSignal;
}

/** Port: text + taxonomy -> label. Failures are thrown as DocumentError. */
export abstract class Classifier {
  abstract classify(input: ClassificationInput): Promise<Classification>;
}
