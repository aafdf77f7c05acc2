import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ApiOkResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AllExceptionsFilter } from '../../src/common/all-exceptions.filter';
import { DomainError } from '../../src/common/errors';
import {
  ApiErrorResponses,
  DEFAULT_ERROR_DOCS,
  ERROR_STATUSES,
  errorResponseOptions,
} from '../../src/http/api-error-responses.decorator';
import { JobIdParam } from '../../src/http/pipes/parse-job-id.pipe';
import type { ArgumentsHost } from '@nestjs/common';

interface MediaExamples {
  examples: Record<string, { summary: string; value: { statusCode: number; error: string; message: string } }>;
  schema: { $ref: string };
}
type Responses = Record<string, { description: string; content: { 'application/json': MediaExamples } }>;

@ApiErrorResponses({ 503: true })
@Controller()
class SampleController {
  @Get('plain')
  @ApiOkResponse({ description: 'ok' })
  @ApiErrorResponses({ 400: true, 429: 'slow down' })
  plain(): string {
    return 'ok';
  }

  @Get('job/:job_id/thing')
  @ApiErrorResponses({ 404: { description: 'No thing in that job.', examples: { 'no thing': 'job x has no thing' } } })
  thing(@JobIdParam() jobId: string): string {
    return jobId;
  }
}

/** The body the exception filter answers for an error of this status and message. */
function filterBody(status: number, message: string): unknown {
  class Sample extends DomainError {
    readonly status = status;
  }
  let sent: unknown;
  const response = { status: () => response, json: (b: unknown) => (sent = b) };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new AllExceptionsFilter().catch(new Sample(message), host);
  return sent;
}

describe('ApiErrorResponses', () => {
  let app: INestApplication;
  let doc: OpenAPIObject;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [SampleController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
  });
  afterAll(() => app.close());

  const responses = (path: string) => doc.paths[path].get!.responses as Responses;

  it('documents each status with the ErrorResponse schema and its own example', () => {
    const r = responses('/plain');
    expect(Object.keys(r).sort()).toEqual(['200', '400', '429', '503']);
    for (const status of ['400', '429', '503']) {
      const media = r[status].content['application/json'];
      expect(media.schema).toEqual({ $ref: '#/components/schemas/ErrorResponseDto' });
      const [example] = Object.values(media.examples);
      expect(example.value.statusCode).toBe(Number(status));
      expect(example.value.message).toBe(DEFAULT_ERROR_DOCS[Number(status) as 400].message);
    }
    expect(r['429'].description).toBe('slow down');
    expect(r['503'].description).toBe(DEFAULT_ERROR_DOCS[503].description);
  });

  it("merges a route's own 404 with the one JobIdParam documents", () => {
    const r = responses('/job/{job_id}/thing');
    expect(r['404'].description).toBe(`${DEFAULT_ERROR_DOCS[404].description}\n\nNo thing in that job.`);
    expect(Object.keys(r['404'].content['application/json'].examples)).toEqual(['unknown-job', 'no-thing']);
  });

  it('has a distinct default message for every status, in the body the exception filter sends', () => {
    const messages = ERROR_STATUSES.map((s) => DEFAULT_ERROR_DOCS[s].message);
    expect(new Set(messages).size).toBe(ERROR_STATUSES.length);
    for (const status of ERROR_STATUSES.filter((s) => s !== 500)) {
      const options = errorResponseOptions(status) as { examples: Record<string, { value: unknown }> };
      const [example] = Object.values(options.examples);
      expect(example.value).toEqual(filterBody(status, DEFAULT_ERROR_DOCS[status].message));
    }
  });

  it('shows the 500 with its errorId, and the 429 with Retry-After', () => {
    const internal = errorResponseOptions(500) as { examples: Record<string, { value: Record<string, unknown> }> };
    const [example] = Object.values(internal.examples);
    expect(example.value).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: expect.stringContaining(String(example.value.errorId)),
      errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(errorResponseOptions(429)).toMatchObject({ headers: { 'Retry-After': expect.anything() } });
  });
});
