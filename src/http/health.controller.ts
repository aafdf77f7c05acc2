import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { DatabaseHealthIndicator } from '../health/database.health';
import {
  HealthIndicatorDto,
  LivenessDto,
  NOT_READY_EXAMPLE,
  notReadyMessage,
  READY_EXAMPLE,
  ReadinessDto,
} from './dto/health.dto';

@ApiTags('health')
@Public()
@ApiExtraModels(HealthIndicatorDto)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness: the process answers',
    description: 'Checks nothing else: use it for a restart probe, and /health/ready for traffic.',
  })
  @ApiOkResponse({ type: LivenessDto, description: 'the process is alive', example: { status: 'ok' } })
  getLiveness(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  // Terminus documents the body with inline enums; ReadinessDto names them.
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness: the job database answers',
    description:
      "Up when the job database answers with this release's schema within 3 s. When it is down the answer is 503 " +
      'and message names the dependency that failed and why.',
  })
  @ApiOkResponse({ type: ReadinessDto, description: 'every check is up', example: READY_EXAMPLE })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description: 'a dependency is down: message and error name it',
    example: NOT_READY_EXAMPLE,
  })
  async getReadiness(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database.check()]);
    } catch (err) {
      // Terminus reports "down" as a 503 exception carrying the report: answer with the report
      // itself, on the API and on the worker's health port alike (not the error filter's body).
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503);
      return withDownMessage(err.getResponse() as HealthCheckResult);
    }
  }
}

/** The report, with one line that says which dependency is down and why. */
function withDownMessage(report: HealthCheckResult): HealthCheckResult & { message: string } {
  return { ...report, message: notReadyMessage(report.error ?? {}) };
}
