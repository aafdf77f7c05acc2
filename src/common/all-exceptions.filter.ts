import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { isDatabaseUnavailable } from '../database/unavailable';
import { DomainError, isStorageFull, StorageFull } from './errors';
import { errorResponseBody as body, type ErrorResponseDto } from './error-response.dto';

/**
 * The one exception filter: domain errors, Nest's HTTP errors (validation, throttling) and
 * database outages become {statusCode, error, message}. Anything else is a 500 that
 * hides the cause from the client and logs it under an id it returns; so is a domain error whose
 * message is for the operator (the file store's outage).
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (exception instanceof DomainError && Object.keys(exception.headers).length > 0) response.set(exception.headers);
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorResponseDto {
    // A full disk under any write (the job's rows, a label, a blob): the operator's to fix.
    if (isStorageFull(exception) && !(exception instanceof StorageFull)) exception = new StorageFull(exception);
    if (exception instanceof DomainError && exception.clientMessage !== undefined) {
      const errorId = randomUUID();
      this.logger.warn({ err: exception, errorId }, `${exception.name} ${errorId}: ${exception.message}`);
      return { ...body(exception.status, quoteIfPersists(exception.clientMessage, errorId)), errorId };
    }
    if (exception instanceof DomainError) return body(exception.status, exception.message);
    if (exception instanceof HttpException) {
      const res = exception.getResponse();
      const message =
        typeof res === 'string'
          ? res
          : Array.isArray((res as { message?: unknown }).message)
            ? (res as { message: string[] }).message.join('; ')
            : String((res as { message?: unknown }).message ?? exception.message);
      return body(exception.getStatus(), message);
    }
    if (isDatabaseUnavailable(exception)) {
      const code = (exception as { code?: unknown }).code;
      this.logger.warn(`database unavailable: ${typeof code === 'string' ? code : (exception as Error).message}`);
      return body(503, 'the job database is unreachable; try again shortly');
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, `unhandled error ${errorId}`);
    return { ...body(500, internalErrorMessage(errorId)), errorId };
  }
}

/** A dependency's outage the operator must see to: the client retries, and quotes the id if it lasts. */
export function quoteIfPersists(message: string, errorId: string): string {
  return `${message}; if it persists, quote errorId ${errorId}`;
}

/** A 500 says what the client can do: quote the id the cause was logged under. */
export function internalErrorMessage(errorId: string): string {
  return `internal error; quote errorId ${errorId} when you report it`;
}
