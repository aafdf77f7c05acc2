import { Module } from '@nestjs/common';
import { RetentionPurger } from './retention-purger';
import { RetentionSchedule } from './retention.schedule';

/**
 * Retention on its schedule, for the role that runs jobs (the worker, or the all-in-one server).
 * Needs ScheduleModule.forRoot() (WorkerModule imports it) and the global BlobStore.
 */
@Module({
  providers: [RetentionPurger, RetentionSchedule],
  exports: [RetentionPurger],
})
export class RetentionModule {}
