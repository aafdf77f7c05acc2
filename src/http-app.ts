import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { errorResponseOptions } from './http/api-error-responses.decorator';
import { API_KEY_SCHEME, BEARER_SCHEME } from './auth/auth.decorators';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Doc Inbox')
    .setDescription(
      'Upload documents (PDF, PNG, JPEG, TIFF, WebP, text) and get their document type back. ' +
        'POST /classify-documents-async answers at once with a job id; poll GET /job/{job_id}.',
    )
    .setVersion('1')
    .addTag('jobs', 'Upload documents, follow their jobs, cancel, retry and delete them')
    .addTag('corrections', "Record a document's right type: training data for the classifiers")
    .addTag('categories', 'The document types in effect')
    .addTag('health', 'Liveness and readiness probes')
    // Any operation can fail unexpectedly: every one documents the 500 and its errorId.
    .addGlobalResponse(errorResponseOptions(500))
    // Every operation takes a key either way; @Public() ones (health) say `security: []`.
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'dik_ API key',
        description: 'An API key (dik_…): `Authorization: Bearer <key>`',
      },
      BEARER_SCHEME,
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key in the X-API-Key header' },
      API_KEY_SCHEME,
    )
    .addSecurityRequirements(BEARER_SCHEME)
    .addSecurityRequirements(API_KEY_SCHEME)
    .build();
  return SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
}

/** What both the server entrypoint and the end-to-end tests apply to an HTTP app. */
export function configureHttpApp(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
