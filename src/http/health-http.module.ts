import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { HealthController } from './health.controller';

/** /health and /health/ready: all the worker's health port serves, and part of the API. */
@Module({
  imports: [HealthModule],
  controllers: [HealthController],
})
export class HealthHttpModule {}
