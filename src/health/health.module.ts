import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from './database.health';

/** Liveness and readiness checks; src/http/health-http.module.ts serves them. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [DatabaseHealthIndicator],
  exports: [TerminusModule, DatabaseHealthIndicator],
})
export class HealthModule {}
