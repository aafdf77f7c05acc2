import { Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { createOcrComponents, OcrComponents } from './ocr.factory';
import { PdfThreadPool } from './pdf/pdf-thread-pool';
import { TextExtractor } from './text-extractor.port';

/**
 * Text extraction: exports TextExtractor and relies on the global AppConfig provider. The OCR
 * engine (tesseract pool, Textract client) is chosen from config.ocr.provider by
 * createOcrComponents and closed, with the warm PDF threads, in onApplicationShutdown, which Nest runs for this module after
 * the modules that import it (the worker drains its jobs first). Not onModuleDestroy: that runs
 * before any shutdown hook and would pull the pool from under a draining worker.
 */
@Module({
  providers: [
    { provide: OcrComponents, useFactory: (config: AppConfig) => createOcrComponents(config), inject: [AppConfig] },
    { provide: TextExtractor, useFactory: (ocr: OcrComponents) => ocr.extractor, inject: [OcrComponents] },
    // Shared with the page images a vision model asks for: the same limits, the same owners.
    { provide: PdfThreadPool, useFactory: (ocr: OcrComponents) => ocr.pdfThreads, inject: [OcrComponents] },
  ],
  exports: [TextExtractor, PdfThreadPool],
})
export class OcrModule implements OnApplicationShutdown {
  constructor(private readonly ocr: OcrComponents) {}

  async onApplicationShutdown(): Promise<void> {
    await this.ocr.close();
  }
}
