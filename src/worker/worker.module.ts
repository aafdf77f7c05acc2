import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ClassifierModule } from '../classifier/classifier.module';
import { JobQueueModule } from '../jobs/job-queue.module';
import { OcrModule } from '../ocr/ocr.module';
import { BlobSweepModule, StorageModule } from '../storage/storage.module';
import { DocumentPipeline } from './document-pipeline';
import { JobRunner } from './job-runner';
import { WorkerService } from './worker.service';

@Module({
  imports: [ScheduleModule.forRoot(), JobQueueModule, StorageModule, BlobSweepModule, OcrModule, ClassifierModule],
  providers: [DocumentPipeline, JobRunner, WorkerService],
  exports: [WorkerService],
})
export class WorkerModule {}
