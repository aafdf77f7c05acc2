import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type ApiResponseOptions } from '@nestjs/swagger';
import { internalErrorMessage, quoteIfPersists } from '../common/all-exceptions.filter';
import { ErrorResponseDto, errorResponseBody } from '../common/error-response.dto';
import { IdempotencyConflict, JobNotFound, JobNotRetryable, STORAGE_FULL, StorageUnavailable } from '../common/errors';
import { Unauthenticated } from '../auth/auth-errors';
import { FILE_STORE_UNAVAILABLE } from '../storage/blob-errors';
import { fileTooLargeMessage } from './upload-messages';

/** The error statuses the API documents; each has its own description and example below. */
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 500, 503] as const;
export type ErrorStatus = (typeof ERROR_STATUSES)[number];

/** What a route says about one error status: its own description and examples (summary -> message). */
export interface ErrorResponseDoc {
  description?: string;
  /** Replace the status's default example with these, each a real message of this route. */
  examples?: Record<string, string>;
}

const EXAMPLE_JOB_ID = '6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10';
export const EXAMPLE_ERROR_ID = '0b8e5c1a-7f2d-4c3e-9a61-5d4f3b2a1c0e';

/** Each status's default: what it means on this API and a message the service really sends. */
export const DEFAULT_ERROR_DOCS: Record<ErrorStatus, { description: string; summary: string; message: string }> = {
  400: {
    description: 'Bad input: the message says what was wrong.',
    summary: 'an empty file',
    message: "file 'scan.pdf' is empty",
  },
  401: {
    description: 'No API key, or one that is unknown or revoked (not needed while the service runs open).',
    summary: 'no API key',
    message: new Unauthenticated('this request carries no API key').message,
  },
  403: {
    description: 'The API key is valid but its role (read, write, admin) or its tenant does not allow this.',
    summary: 'role too low',
    message:
      "this key's role is 'read'; POST /job/6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10/cancel needs 'write' " +
      '(read: GET requests; write: uploads, cancel, retry, delete, labels; admin: keys and tenant settings)',
  },
  404: {
    description: 'Unknown or malformed job id.',
    summary: 'unknown job',
    message: new JobNotFound(EXAMPLE_JOB_ID).message,
  },
  409: {
    description: "The job's current status does not allow this.",
    summary: 'job already completed',
    message: new JobNotRetryable(EXAMPLE_JOB_ID, 'completed').message,
  },
  410: {
    description: 'It existed, but was deleted when its retention period ended.',
    summary: 'files deleted',
    message: `the files of job ${EXAMPLE_JOB_ID} were deleted when their retention period ended; upload them again`,
  },
  413: {
    description: 'A file, or the number of files, is over the upload limit.',
    summary: 'file too large',
    message: fileTooLargeMessage('scan.pdf', 25 * 1024 * 1024),
  },
  415: {
    description: 'Not a type the service reads, judged from the bytes (never the name), or not a multipart body.',
    summary: 'unsupported type',
    message: "file 'photo.gif' is image/gif; supported types are PDF, PNG, JPEG, TIFF, WebP and plain text",
  },
  422: {
    description: 'The Idempotency-Key was used before, for a different upload.',
    summary: 'key reused',
    message: new IdempotencyConflict('mail-4711', EXAMPLE_JOB_ID).message,
  },
  429: {
    description:
      'The tenant reached RATE_LIMIT_PER_MINUTE uploads: wait as long as the Retry-After header says, then try again.',
    summary: 'rate limited',
    message: 'too many uploads: 60 a minute for this tenant; try again in 12 s',
  },
  500: {
    description: 'A bug or an unexpected failure. The cause is logged under errorId, never sent.',
    summary: 'internal error',
    message: internalErrorMessage(EXAMPLE_ERROR_ID),
  },
  503: {
    description:
      'The job database or the file store is unreachable, or a disk the service writes to is full. Try again shortly. A file-store or disk problem comes with an errorId its cause is logged under.',
    summary: 'database down',
    message: new StorageUnavailable().message,
  },
};

/** The 503 a client sees when the file store fails (the store's own words go to the log). */
export const FILE_STORE_DOWN_EXAMPLE = quoteIfPersists(FILE_STORE_UNAVAILABLE, EXAMPLE_ERROR_ID);

/** The 503 a client sees when a disk is full (which one, and where, go to the log). */
export const STORAGE_FULL_EXAMPLE = quoteIfPersists(STORAGE_FULL, EXAMPLE_ERROR_ID);

/** "'other' in categories" -> "other-in-categories": a key any OpenAPI tool takes; the summary stays readable. */
function exampleKey(summary: string): string {
  return summary
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** One status's OpenAPI response: the ErrorResponse schema, a description and named examples. */
export function errorResponseOptions(status: ErrorStatus, doc: ErrorResponseDoc = {}): ApiResponseOptions {
  const defaults = DEFAULT_ERROR_DOCS[status];
  const messages = doc.examples ?? { [defaults.summary]: defaults.message };
  const examples = Object.fromEntries(
    Object.entries(messages).map(([summary, message]) => [
      exampleKey(summary),
      {
        summary,
        value:
          // A 500, and an outage whose cause the operator must see to, come with the id it is logged under.
          status === 500 || message.includes(EXAMPLE_ERROR_ID)
            ? { ...errorResponseBody(status, message), errorId: EXAMPLE_ERROR_ID }
            : errorResponseBody(status, message),
      },
    ]),
  );
  return {
    status,
    type: ErrorResponseDto,
    description: doc.description ?? defaults.description,
    examples,
    ...(status === 429
      ? {
          headers: {
            'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } },
          },
        }
      : {}),
  };
}

/**
 * Documents a route's (or, on a class, every route's) error responses, each status with its own
 * description and example in the ErrorResponse shape:
 *
 *   @ApiErrorResponses({ 400: { examples: { 'no files': '…' } }, 404: true, 503: true })
 *
 * `true` takes the status's default (DEFAULT_ERROR_DOCS), a string replaces the description, an
 * object replaces description and/or examples. Examples given for the same status by two
 * decorators (JobIdParam documents the 404 of an unknown job) are merged.
 */
export function ApiErrorResponses(
  docs: Partial<Record<ErrorStatus, true | string | ErrorResponseDoc>>,
): MethodDecorator & ClassDecorator {
  const decorators = (Object.entries(docs) as [string, true | string | ErrorResponseDoc][]).map(([key, doc]) =>
    ApiResponse(
      errorResponseOptions(
        Number(key) as ErrorStatus,
        doc === true ? {} : typeof doc === 'string' ? { description: doc } : doc,
      ),
    ),
  );
  return applyDecorators(...decorators);
}
