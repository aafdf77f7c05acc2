import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ClassifierModule } from '../classifier/classifier.module';
import { AppConfig } from '../config/app-config';
import { JobQueueModule } from '../jobs/job-queue.module';
import { OcrModule } from '../ocr/ocr.module';
import { PdfThreadPool } from '../ocr/pdf/pdf-thread-pool';
import { PageImageRenderer } from '../ocr/page-image.renderer';
import { DEFAULT_SANDBOX_LIMITS } from '../ocr/pdf/pdf-sandbox';
import { RetentionModule } from '../retention/retention.module';
import { BlobSweepModule, StorageModule } from '../storage/storage.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { DocumentPipeline } from './document-pipeline';
import { JobRunner } from './job-runner';
import { WorkerService } from './worker.service';

/**
 * ~1 megapixel: 1024 x 1024 is where OpenAI's high-detail image cost stops growing much (an A4
 * page at that size is 4 tiles, ~765 tokens) and a page's print is still legible.
 */
const VISION_PAGE_PIXELS = 1_000_000;

@Module({
  imports: [
    ScheduleModule.forRoot(),
    JobQueueModule,
    StorageModule,
    BlobSweepModule,
    RetentionModule,
    OcrModule,
    ClassifierModule,
    WebhooksModule,
  ],
  providers: [
    // Page images only for a classifier that looks at them (CLASSIFIER_VISION resolved for the model).
    {
      provide: PageImageRenderer,
      useFactory: (config: AppConfig, pdfThreads: PdfThreadPool) =>
        config.classifier.provider === 'openai' && config.classifier.vision
          ? new PageImageRenderer(
              {
                maxPixels: VISION_PAGE_PIXELS,
                renderDpi: 150,
                pdf: { maxImagePixels: config.limits.maxImagePixels, ...DEFAULT_SANDBOX_LIMITS },
              },
              pdfThreads,
            )
          : null,
      inject: [AppConfig, PdfThreadPool],
    },
    DocumentPipeline,
    JobRunner,
    WorkerService,
  ],
  exports: [WorkerService],
})
export class WorkerModule {}
