import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { MetricsController } from './metrics.controller';
import { RequestLogContextInterceptor } from './request-log-context.interceptor';
import { RequestMetricsMiddleware } from './request-metrics.middleware';

/**
 * GET /metrics, the request-duration histogram and the tenant on request log lines: imported by
 * the HTTP role and by the worker's health port (AppModule), apart from the API's controllers.
 * The metrics themselves come from the global MetricsModule.
 */
@Module({
  controllers: [MetricsController],
  providers: [{ provide: APP_INTERCEPTOR, useClass: RequestLogContextInterceptor }],
})
export class ObservabilityHttpModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestMetricsMiddleware).forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }
}
