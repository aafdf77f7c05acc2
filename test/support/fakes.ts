import { Classifier, type Classification, type ClassificationInput } from '../../src/classifier/classifier.port';
import { TextExtractor, type ExtractionInput, type ExtractionResult } from '../../src/ocr/text-extractor.port';

/** Reads text files as one page; other behaviour is scripted per filename. */
export class FakeExtractor extends TextExtractor {
  readonly seen: string[] = [];
  constructor(private readonly script: Record<string, (input: ExtractionInput) => Promise<ExtractionResult>> = {}) {
    super();
  }
  async extract(input: ExtractionInput): Promise<ExtractionResult> {
    this.seen.push(input.filename);
    const scripted = this.script[input.filename];
    if (scripted) return scripted(input);
    return {
      pages: [{ number: 1, text: Buffer.from(input.bytes).toString('utf8'), source: 'plain-text', confidence: null }],
      pageCount: 1,
      warnings: [],
    };
  }
}

/** Labels a text 'invoice' when it says invoice, else 'other'. */
export class FakeClassifier extends Classifier {
  readonly inputs: ClassificationInput[] = [];
  async classify(input: ClassificationInput): Promise<Classification> {
    this.inputs.push(input);
    const invoice = input.pages.some((p) => /invoice/i.test(p.text));
    return {
      label: invoice ? 'invoice' : 'other',
      confidence: invoice ? 0.9 : 0.2,
      reasons: invoice ? ['says invoice'] : [],
      classifier: 'fake',
      usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12 },
    };
  }
}
