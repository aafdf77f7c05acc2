import { Injectable, Param, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { JobNotFound } from '../../common/errors';
import { isUuid } from '../../common/uuid';
import { ApiErrorResponses } from '../api-error-responses.decorator';

/** A job id is a UUID; anything else names no job: 404 "job … not found", never a database error. */
@Injectable()
export class ParseJobIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUuid(value)) throw new JobNotFound(value);
    return value;
  }
}

/**
 * The `:job_id` path parameter, checked by ParseJobIdPipe and documented as a UUID that may be
 * answered with a 404 (a route's own 404 in `@ApiErrorResponses` adds its description and examples).
 */
export function JobIdParam(): ParameterDecorator {
  return (target, key, index) => {
    Param('job_id', ParseJobIdPipe)(target, key, index);
    if (key === undefined) return;
    // Parameter decorators run before the method's; the OpenAPI ones are method decorators.
    const method = Object.getOwnPropertyDescriptor(target, key);
    if (!method) return;
    ApiParam({ name: 'job_id', format: 'uuid', description: 'the job_id returned by the upload' })(target, key, method);
    ApiErrorResponses({ 404: true })(target, key, method);
  };
}
