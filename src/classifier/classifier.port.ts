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

/** A page rendered for a classifier that looks at pages (a vision model). */
export interface ClassifierPageImage {
  number: number;
  png: Uint8Array;
}

export interface ClassificationInput {
  /** The document's pages as extracted, in order; the classifier decides how much of them to use. */
  pages: ClassifierPage[];
  /** Pages in the document (may exceed pages.length when a page limit cut it short). */
  pageCount: number;
  filename: string;
  /**
   * The categories allowed for this document: the taxonomy, possibly narrowed by the request. The
   * answer is one of them or 'other'.
   */
  categories: readonly Category[];
  /**
   * The tenant whose document this is: its corrections (and only its) train the model and give
   * the examples. Absent: the default tenant.
   */
  tenantId?: string;
  /** The tenant's whole taxonomy, when it has its own; absent: the classifier's (the service's). */
  taxonomy?: readonly Category[];
  signal: AbortSignal;
  /**
   * Renders pages as PNG, on demand (only a classifier that looks at pages asks, and only for the
   * pages whose text is missing or poor). Absent: no images can be had for this document.
   * Pages that do not exist are left out of the answer.
   */
  pageImages?: (pageNumbers: number[]) => Promise<ClassifierPageImage[]>;
}

/** Port: pages + taxonomy -> label. Failures are thrown as DocumentError. */
export abstract class Classifier {
  abstract classify(input: ClassificationInput): Promise<Classification>;
}
