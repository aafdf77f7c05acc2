import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { DatabaseHealthIndicator } from '../health/database.health';
import { HealthIndicatorDto, LivenessDto, ReadinessDto } from './dto/health.dto';

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
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LivenessDto })
  getLiveness(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  // Terminus documents the body with inline enums; ReadinessDto names them.
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({ operationId: 'getReadiness', summary: 'Readiness: the job database answers' })
  @ApiOkResponse({ type: ReadinessDto, description: 'every check is up' })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'the database is unreachable' })
  async getReadiness(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database.check()]);
    } catch (err) {
      // Terminus reports "down" as a 503 exception carrying the report: answer with the report
      // itself, on the API and on the worker's health port alike (not the error filter's body).
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }
}
