import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { buildOpenApiDocument } from './http-app';

/** Prints the OpenAPI document (`npm run openapi` writes it to openapi.json). */
async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-openapi-'));
  try {
    const config = AppConfig.fromEnvironment({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const app = await NestFactory.create(await AppModule.forRoot(config, { http: true, worker: false }), {
      logger: false,
    });
    process.stdout.write(`${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
    await app.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
