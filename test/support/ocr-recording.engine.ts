import { OcrEngine, OcrPageInput, OcrPageResult } from '../../src/ocr/ocr-engine.port';

/** Fake OCR engine: records every page it is handed and answers with a fixed text. */
export class RecordingOcrEngine extends OcrEngine {
  readonly source = 'tesseract' as const;
  readonly calls: OcrPageInput[] = [];

  constructor(
    readonly pdfPageInput: 'image' | 'pdf' = 'image',
    private readonly answer = 'recognised text',
    readonly maxInputBytes = 10 * 1024 * 1024,
    readonly parallelism = 1,
  ) {
    super();
  }

  recognize(page: OcrPageInput): Promise<OcrPageResult> {
    this.calls.push(page);
    return Promise.resolve({ text: this.answer, confidence: 0.9 });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
