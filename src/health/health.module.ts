import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JobStoreModule } from '../jobs/job-store.module';
import { DatabaseHealthIndicator } from './database.health';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), JobStoreModule],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator],
})
export class HealthModule {}
