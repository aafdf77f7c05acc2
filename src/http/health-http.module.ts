import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { HealthController } from './health.controller';
import { HttpDrain } from './http-drain';

/**
 * /health and /health/ready: all the worker's health port serves, and part of the API. Every
 * HTTP listener has this module, so it drains the requests in flight at shutdown too.
 */
@Module({
  imports: [HealthModule],
  controllers: [HealthController],
  providers: [HttpDrain],
})
export class HealthHttpModule {}
