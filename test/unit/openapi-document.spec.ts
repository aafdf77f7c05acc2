import type { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from '../../src/http-app';
import { startTestApp, type TestApp } from '../support/test-app';

interface Example {
  summary?: string;
  value: unknown;
}
interface Media {
  schema?: { $ref?: string };
  example?: unknown;
  examples?: Record<string, Example>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  responses: Record<string, { description: string; content?: Record<string, Media> }>;
}

/** Every operation of the document as "METHOD /path" with its object. */
function operations(doc: OpenAPIObject): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).map(([method, op]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      op,
    ]),
  );
}

function examplesOf(media: Media | undefined): unknown[] {
  if (!media) return [];
  return [
    ...(media.example !== undefined ? [media.example] : []),
    ...Object.values(media.examples ?? {}).map((e) => e.value),
  ];
}

/** Every object nested anywhere in a value. */
function objectsIn(value: unknown): Record<string, unknown>[] {
  if (!value || typeof value !== 'object') return [];
  const own = Array.isArray(value) ? [] : [value as Record<string, unknown>];
  return [...own, ...Object.values(value).flatMap(objectsIn)];
}

describe('the OpenAPI document, as a new user reads it', () => {
  let t: TestApp;
  let doc: OpenAPIObject;
  beforeAll(async () => {
    t = await startTestApp({ roles: { http: true, worker: false } });
    doc = buildOpenApiDocument(t.app);
  }, 120_000); // an embedded database boots slowly on a busy machine
  afterAll(() => t.close());

  it('gives every operation an operation id, a summary, a description and a tag', () => {
    const missing = operations(doc).flatMap(([name, op]) =>
      [
        ...(['operationId', 'summary', 'description'] as const).filter((field) => !op[field]?.trim()),
        ...(op.tags?.length ? [] : ['tags']),
      ].map((field) => `${name}: ${field}`),
    );
    expect(missing).toEqual([]);
    const ids = operations(doc).map(([, op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every operation an example of its success answer (a 204 has no body)', () => {
    const missing = operations(doc).flatMap(([name, op]) =>
      Object.entries(op.responses)
        .filter(([status]) => status.startsWith('2') && status !== '204')
        // Any media type: an SSE or Prometheus route shows its text/event-stream or text/plain example.
        .filter(([, r]) => Object.values(r.content ?? {}).flatMap(examplesOf).length === 0)
        .map(([status]) => `${name} ${status}`),
    );
    expect(missing).toEqual([]);
  });

  it('documents error responses on every operation, each with the ErrorResponse schema and an example of its own status', () => {
    const problems: string[] = [];
    for (const [name, op] of operations(doc)) {
      const errors = Object.entries(op.responses).filter(([status]) => /^[45]/.test(status));
      if (errors.length === 0) problems.push(`${name}: no error response`);
      if (!op.responses['500']) problems.push(`${name}: no 500`);
      for (const [status, response] of errors) {
        const media = response.content?.['application/json'];
        if (!media?.schema?.$ref) problems.push(`${name} ${status}: no schema`);
        if (!response.description.trim()) problems.push(`${name} ${status}: no description`);
        const values = examplesOf(media);
        if (values.length === 0) problems.push(`${name} ${status}: no example`);
        for (const value of values as { statusCode?: number }[]) {
          if (value.statusCode !== undefined && value.statusCode !== Number(status))
            problems.push(`${name} ${status}: example says ${value.statusCode}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("never shows one status's message under another (no 404 or 503 says \"file 'scan.pdf' is empty\")", () => {
    const statusesByMessage = new Map<string, Set<string>>();
    for (const [, op] of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const value of examplesOf(response.content?.['application/json']) as { message?: string }[]) {
          if (typeof value.message !== 'string') continue;
          const statuses = statusesByMessage.get(value.message) ?? new Set<string>();
          statusesByMessage.set(value.message, statuses.add(status));
        }
      }
    }
    const shared = [...statusesByMessage].filter(([, s]) => s.size > 1).map(([m, s]) => `${[...s]}: ${m}`);
    expect(shared).toEqual([]);
    expect(statusesByMessage.get("file 'scan.pdf' is empty")).toEqual(new Set(['400']));
  });

  it('shows the 500 with its errorId, and the label endpoint its 400, 404 and 409 with a schema', () => {
    const [internal] = examplesOf(operations(doc)[0][1].responses['500'].content?.['application/json']);
    expect(internal).toEqual(expect.objectContaining({ statusCode: 500, errorId: expect.any(String) }));
    const label = doc.paths['/job/{job_id}/documents/{position}/label'].post as unknown as Operation;
    for (const status of ['400', '404', '409']) {
      expect(label.responses[status].content?.['application/json'].schema).toEqual({
        $ref: '#/components/schemas/ErrorResponseDto',
      });
    }
  });

  it('types positions, indexes, counts and progress as integers', () => {
    const schemas = doc.components!.schemas as Record<string, { properties: Record<string, { type?: string }> }>;
    const fields: [string, string][] = [
      ['DocumentDto', 'index'],
      ['DocumentDto', 'position'],
      ['DocumentDto', 'page_from'],
      ['DocumentDto', 'page_to'],
      ['CorrectionDto', 'position'],
      ['JobSummaryDto', 'progress'],
      ['JobSummaryDto', 'attempts'],
      ['JobAcceptedDto', 'total_files'],
      ['ErrorResponseDto', 'statusCode'],
    ];
    expect(fields.map(([schema, field]) => [schema, field, schemas[schema].properties[field].type])).toEqual(
      fields.map(([schema, field]) => [schema, field, 'integer']),
    );
  });

  it('tells one consistent story in its examples: pending at less than 100, completed at 100, no Redis', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/redis/i);
    const jobs = objectsIn(doc.paths).filter((o) => typeof o.status === 'string' && typeof o.progress === 'number');
    expect(jobs.length).toBeGreaterThan(3);
    for (const job of jobs) {
      if (job.status === 'pending') expect(job.progress).toBeLessThan(100);
      if (job.status === 'completed')
        expect(job).toMatchObject({ progress: 100, processed_documents: job.total_documents });
    }
    const ready = doc.paths['/health/ready'].get as unknown as Operation;
    const [down] = examplesOf(ready.responses['503'].content?.['application/json']);
    expect(down).toMatchObject({ status: 'error', message: expect.stringContaining('database is down') });
  });
});
