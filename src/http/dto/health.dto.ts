import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import type { HealthCheckStatus, HealthIndicatorStatus } from '@nestjs/terminus';

export const HEALTH_CHECK_STATUSES = [
  'ok',
  'degraded',
  'error',
  'shutting_down',
] as const satisfies readonly HealthCheckStatus[];
export const HEALTH_INDICATOR_STATUSES = ['up', 'degraded', 'down'] as const satisfies readonly HealthIndicatorStatus[];

export class LivenessDto {
  @ApiProperty({ enum: ['ok'], enumName: 'LivenessStatus', example: 'ok' })
  status!: 'ok';
}

/** One check of GET /health/ready (terminus's shape), e.g. `database`. */
export class HealthIndicatorDto {
  @ApiProperty({ enum: HEALTH_INDICATOR_STATUSES, enumName: 'HealthIndicatorStatus' })
  status!: HealthIndicatorStatus;

  @ApiPropertyOptional({ description: 'why the check is down', example: 'no answer within 3000 ms' })
  message?: string;
}

const UP = { database: { status: 'up' } };
const DOWN = { database: { status: 'down', message: 'no answer within 3000 ms' } };

/** "not ready: database is down (no answer within 3000 ms)", one clause per check that is down. */
export function notReadyMessage(down: Record<string, { status: string; message?: unknown } | undefined>): string {
  const parts = Object.entries(down).map(
    ([name, check]) =>
      `${name} is ${check?.status ?? 'down'}${typeof check?.message === 'string' ? ` (${check.message})` : ''}`,
  );
  return `not ready: ${parts.length > 0 ? parts.join('; ') : 'a check failed'}`;
}

export const READY_EXAMPLE = { status: 'ok', info: UP, error: {}, details: UP };
export const NOT_READY_EXAMPLE = {
  status: 'error',
  message: notReadyMessage(DOWN),
  info: {},
  error: DOWN,
  details: DOWN,
};

const checks = (description: string, example: object) => ({
  type: 'object' as const,
  description,
  additionalProperties: { $ref: getSchemaPath(HealthIndicatorDto) },
  example,
});

/** The body of GET /health/ready, up (200) or down (503). */
export class ReadinessDto {
  @ApiProperty({ enum: HEALTH_CHECK_STATUSES, enumName: 'HealthCheckStatus', example: 'ok' })
  status!: HealthCheckStatus;

  @ApiPropertyOptional({
    description: 'Only when not ready: which dependency is down, and why.',
    example: notReadyMessage(DOWN),
  })
  message?: string;

  @ApiPropertyOptional({ ...checks('the checks that are up', UP), nullable: true })
  info?: Record<string, HealthIndicatorDto>;

  @ApiPropertyOptional({ ...checks('the checks that are down', DOWN), nullable: true })
  error?: Record<string, HealthIndicatorDto>;

  @ApiProperty(checks('every check', UP))
  details!: Record<string, HealthIndicatorDto>;
}
