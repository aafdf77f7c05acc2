import { Module } from '@nestjs/common';
import { ClassifierModule } from '../classifier/classifier.module';
import { JobsService } from './jobs.service';

/** The job service (uploads in, jobs out). Its routes are in src/http, for the HTTP role only. */
@Module({
  imports: [ClassifierModule],
  providers: [JobsService],
  exports: [JobsService],
})
export class JobsModule {}
