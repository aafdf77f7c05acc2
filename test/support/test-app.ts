import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import request from 'supertest';
import { AppModule, type AppRoles } from '../../src/app.module';
import { AppConfig } from '../../src/config/app-config';
import { configureHttpApp } from '../../src/http-app';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * The real app, composed as in src/main.ts, on a fresh embedded database in a temp directory
 * (or DATABASE_URL when env gives one). `override` swaps providers by their port class.
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    roles?: AppRoles;
    override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-test-'));
  const config = AppConfig.fromEnvironment({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    WORKER_POLL_INTERVAL_SECONDS: '0.2',
    ...options.env,
  });
  let builder = Test.createTestingModule({
    imports: [await AppModule.forRoot(config, options.roles ?? { http: true, worker: true })],
  });
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.enableShutdownHooks();
  configureHttpApp(app);
  await app.init();
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface JobBody {
  job_id: string;
  status: string;
  progress: number;
  processed_files: number;
  failed_files: number;
  attempts: number;
  crashes: number;
  error: string | null;
  events: Array<{ id: string; type: string; payload: Record<string, unknown>; created_at: string }>;
  result: {
    documents: Array<{
      index: number;
      position: number;
      page_from: number;
      page_to: number | null;
      filename: string;
      status: string;
      document_type: string | null;
      confidence: number | null;
      text_sources: string[];
      warnings: string[];
      error: { code: string; message: string } | null;
    }>;
    counts_by_type: Record<string, number>;
  };
}

/** Polls GET /job/{id} until the job is finished (or the time runs out). */
export async function waitForJob(app: TestApp, id: string, timeoutMs = 60_000): Promise<JobBody> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.http.get(`/job/${id}`).expect(200);
    const body = res.body as JobBody;
    if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > end) throw new Error(`job ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
