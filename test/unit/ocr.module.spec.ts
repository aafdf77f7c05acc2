import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppConfig } from '../../src/config/app-config';
import { DocumentTextExtractor } from '../../src/ocr/document-text.extractor';
import { OcrComponents } from '../../src/ocr/ocr.factory';
import { OcrModule } from '../../src/ocr/ocr.module';
import { PaddleOcrEngine } from '../../src/ocr/paddle.ocr-engine';
import { TesseractOcrEngine } from '../../src/ocr/tesseract.ocr-engine';
import { TextExtractor } from '../../src/ocr/text-extractor.port';
import { TextractExtractor } from '../../src/ocr/textract.extractor';

async function compile(env: Record<string, string>) {
  const config = AppConfig.fromEnvironment(env);
  @Global()
  @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
  class ConfigTestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [ConfigTestModule, OcrModule] }).compile();
  return moduleRef;
}

describe('OcrModule', () => {
  it.each([
    ['none', null],
    ['tesseract', TesseractOcrEngine],
    ['paddle', PaddleOcrEngine],
    ['textract', TextractExtractor],
  ] as const)(
    'OCR_PROVIDER=%s exports a DocumentTextExtractor with the matching engine',
    async (provider, engineClass) => {
      const moduleRef = await compile({
        OCR_PROVIDER: provider,
        AWS_REGION: 'eu-west-1',
        TEXTRACT_ENDPOINT: 'http://127.0.0.1:9',
      });
      expect(moduleRef.get(TextExtractor)).toBeInstanceOf(DocumentTextExtractor);
      const { engine } = moduleRef.get(OcrComponents);
      if (engineClass) expect(engine).toBeInstanceOf(engineClass);
      else expect(engine).toBeNull();
      const app = moduleRef.createNestApplication();
      await app.init();
      // Shutdown closes the engine (the tesseract pool was never started: pools are lazy).
      await app.close();
    },
  );
});
