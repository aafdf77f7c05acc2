import { Logger, type ArgumentsHost } from '@nestjs/common';
import { AllExceptionsFilter } from '../../src/common/all-exceptions.filter';
import {
  Conflict,
  DocumentNotFound,
  IdempotencyConflict,
  JobNotFound,
  JobNotRetryable,
  FileGone,
  RateLimited,
  STORAGE_FULL,
  type DomainError,
} from '../../src/common/errors';
import { BlobStoreUnavailable, FILE_STORE_UNAVAILABLE } from '../../src/storage/blob-errors';

/** Runs the filter on one exception and returns the status and body it answered with. */
function answer(exception: unknown): { status: number; body: unknown; headers?: Record<string, string> } {
  const sent: { status: number; body: unknown; headers?: Record<string, string> } = { status: 0, body: undefined };
  const response = {
    set(headers: Record<string, string>) {
      sent.headers = { ...sent.headers, ...headers };
      return this;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new AllExceptionsFilter().catch(exception, host);
  return sent;
}

describe('AllExceptionsFilter on the domain errors', () => {
  const job = '6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10';

  it.each<[DomainError, number, string, string]>([
    [new JobNotFound(job), 404, 'Not Found', `job ${job} not found`],
    [new DocumentNotFound(job, 3), 404, 'Not Found', `job ${job} has no document at position 3`],
    [new Conflict('the document has no text yet'), 409, 'Conflict', 'the document has no text yet'],
    [
      new JobNotRetryable(job, 'completed'),
      409,
      'Conflict',
      `job ${job} is completed; only a failed or cancelled job can be retried`,
    ],
    [
      new IdempotencyConflict('upload-123', job),
      422,
      'Unprocessable Entity',
      `Idempotency-Key 'upload-123' was already used for a different upload (job ${job}); send a new key for a new upload`,
    ],
  ])('%s answers %i %s', (error, statusCode, name, message) => {
    expect(answer(error)).toEqual({ status: statusCode, body: { statusCode, error: name, message } });
  });

  it('answers a RateLimited with its Retry-After header, and a purged file with 410', () => {
    expect(answer(new RateLimited('too many uploads: 60 a minute for this tenant; try again in 12 s', 12))).toEqual({
      status: 429,
      headers: { 'Retry-After': '12' },
      body: {
        statusCode: 429,
        error: 'Too Many Requests',
        message: 'too many uploads: 60 a minute for this tenant; try again in 12 s',
      },
    });
    const gone = answer(new FileGone(job, 0, new Date('2026-01-02T03:04:05Z')));
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({
      error: 'Gone',
      message: expect.stringContaining('purged on 2026-01-02T03:04:05'),
    });
  });

  it('names each error class, and JobNotRetryable is a Conflict', () => {
    expect(new IdempotencyConflict('k', job).name).toBe('IdempotencyConflict');
    expect(new JobNotRetryable(job, 'pending')).toBeInstanceOf(Conflict);
  });

  it('bounds a client-sent key in the message', () => {
    const { body } = answer(new IdempotencyConflict('k'.repeat(500), job));
    expect((body as { message: string }).message).toContain(`'${'k'.repeat(64)}… (500 characters)'`);
  });
});

describe("AllExceptionsFilter on an unexpected error, or an operator's", () => {
  it("answers the file store's outage with 503 and an errorId, logging the store's words, not sending them", () => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { status, body } = answer(
      new BlobStoreUnavailable('cannot write blob t/j/0 in BLOB_DIR /srv/mount: ENOSPC: no space left on device'),
    );
    const { errorId, message } = body as { errorId: string; message: string };
    expect(status).toBe(503);
    expect(body).toEqual({ statusCode: 503, error: 'Service Unavailable', message, errorId: expect.any(String) });
    expect(message).toBe(`${FILE_STORE_UNAVAILABLE}; if it persists, quote errorId ${errorId}`);
    expect(warned).toHaveBeenCalledWith(
      expect.objectContaining({ errorId }),
      `BlobStoreUnavailable ${errorId}: cannot write blob t/j/0 in BLOB_DIR /srv/mount: ENOSPC: no space left on device`,
    );
    warned.mockRestore();
  });

  it.each<[string, unknown]>([
    // PostgreSQL's disk_full, as pg and PGlite raise it, from the job's rows.
    [
      'disk_full from the database',
      Object.assign(new Error('could not extend file "base/5/16630": No space left on device'), { code: '53100' }),
    ],
    // A store's failure whose cause was a full disk: the client hears what it can act on.
    [
      'a file store failing on a full disk',
      new BlobStoreUnavailable('cannot write blob t/j/0 in BLOB_DIR /srv: no space', {
        cause: Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
      }),
    ],
  ])('answers %s with 503 saying the storage is full, and an errorId', (_what, exception) => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { status, body } = answer(exception);
    const { errorId, message } = body as { errorId: string; message: string };
    expect(status).toBe(503);
    expect(message).toBe(`${STORAGE_FULL}; if it persists, quote errorId ${errorId}`);
    expect(warned).toHaveBeenCalledWith(expect.objectContaining({ errorId }), expect.stringContaining('disk full: '));
    warned.mockRestore();
  });

  it('answers 500 without the cause, with an errorId the message tells the client to quote', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { status, body } = answer(new Error('secret internals: password=hunter2'));
    const { errorId, message } = body as { errorId: string; message: string };
    expect(status).toBe(500);
    expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message, errorId: expect.any(String) });
    expect(message).toBe(`internal error; quote errorId ${errorId} when you report it`);
    expect(message).not.toContain('hunter2');
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ errorId }), `unhandled error ${errorId}`);
    logged.mockRestore();
  });
});
