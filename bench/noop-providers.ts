import { Readable } from 'node:stream';
import { Classifier, type Classification } from '../src/classifier/classifier.port';
import { TextExtractor, type ExtractionInput, type ExtractionResult } from '../src/ocr/text-extractor.port';
import { BlobStore, type BlobListing, type StoredBlob } from '../src/storage/blob-store.port';

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

/** A blob store that holds one small file for every key: reading bytes costs nothing. */
export class NoopBlobStore extends BlobStore {
  async put(key: string): Promise<StoredBlob> {
    return { key, size: 4, sha256: '' };
  }
  async get(): Promise<Readable> {
    return Readable.from([Buffer.from('noop')]);
  }
  override async read(): Promise<Buffer> {
    return Buffer.from('noop');
  }
  async delete(): Promise<void> {}
  async exists(): Promise<boolean> {
    return true;
  }
  async *list(): AsyncIterable<BlobListing> {}
}
