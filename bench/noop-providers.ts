import { Classifier, type Classification } from '../src/classifier/classifier.port';
import { TextExtractor, type ExtractionInput, type ExtractionResult } from '../src/ocr/text-extractor.port';

/** Providers that do nothing, so the queue itself is what gets measured. */
export class NoopExtractor extends TextExtractor {
  constructor(private readonly onExtract: (input: ExtractionInput) => void = () => undefined) {
    super();
  }
  async extract(input: ExtractionInput): Promise<ExtractionResult> {
    this.onExtract(input);
    return { pages: [{ number: 1, text: '', source: 'plain-text', confidence: null }], pageCount: 1, warnings: [] };
  }
}

export class NoopClassifier extends Classifier {
  async classify(): Promise<Classification> {
    return { label: 'other', confidence: 0, reasons: [], classifier: 'noop' };
  }
}
