import { randomUUID } from 'node:crypto';
import { Global, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Classifier } from '../../src/classifier/classifier.port';
import { CorrectionStore } from '../../src/classifier/correction-store.port';
import { SqlCorrectionStore } from '../../src/classifier/sql-correction.store';
import { Taxonomy } from '../../src/classifier/taxonomy';
import { TrainingExamples } from '../../src/classifier/training-examples';
import { AppConfig } from '../../src/config/app-config';
import type { SqlClient } from '../../src/database/sql-client.port';
import { SqlClient as SqlClientToken } from '../../src/database/sql-client.port';
import { HttpApiModule } from '../../src/http/http-api.module';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { DbFunctions } from '../../src/database/db-functions.port';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { documentResult, done, newJob } from '../support/fixtures';
import { databaseTargets, type TestDatabase } from '../support/databases';

const TIMESHEET = (week: number) =>
  `Contoso staffing weekly timesheet week ${week}\nConsultant hours Monday 8 Tuesday 8 Wednesday 7.5\n` +
  `Project code CX-77 approved by line manager, overtime hours 2, billable hours 39.5`;

/** A job with one completed document (its text kept as page 1) and one still pending, through the stores. */
async function seedJob(sql: SqlClient, text: string): Promise<string> {
  const functions = new SqlDbFunctions(sql);
  const job = newJob(2);
  job.files[0].filename = 'timesheet.pdf';
  await new SqlJobStore(functions).createJob(job);
  const queue = new SqlJobQueue(functions, { leaseSeconds: 30 });
  const [claimed] = await queue.claim('seed', 1);
  await queue.record('seed', [
    { ...done(claimed.id, 0, text), result: documentResult({ document_type: 'other', confidence: 0.6 }) },
  ]);
  return job.id;
}

describe.each(databaseTargets())('corrections on $name', (target) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await target.create();
  }, 60_000);
  afterAll(async () => {
    await db?.dispose();
  });

  describe('SqlCorrectionStore', () => {
    it('upserts one correction per document and changes its revision', async () => {
      const store = new SqlCorrectionStore(new SqlDbFunctions(db.sql));
      const jobId = await seedJob(db.sql, 'some text');
      const empty = await store.revision();

      const first = await store.record({
        tenantId: 'default',
        jobId,
        position: 0,
        filename: 'a.pdf',
        label: 'invoice',
        predictedLabel: 'other',
        text: 'some text',
      });
      const afterFirst = await store.revision();
      const second = await store.record({
        tenantId: 'default',
        jobId,
        position: 0,
        filename: 'a.pdf',
        label: 'receipt',
        predictedLabel: 'other',
        text: 'some text',
      });

      expect(afterFirst).not.toBe(empty);
      expect(await store.revision()).not.toBe(afterFirst);
      expect(second.createdAt).toEqual(first.createdAt);
      expect(second.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
      const rows = await db.sql.query<{ label: string; predicted_label: string }>(
        'select label, predicted_label from inbox_document_corrections where job_id = $1',
        [jobId],
      );
      expect(rows).toEqual([{ label: 'receipt', predicted_label: 'other' }]);
      expect((await store.list(10))[0]).toMatchObject({ jobId, position: 0, label: 'receipt', text: 'some text' });
    });

    it('keeps the correction as training data when its job is deleted', async () => {
      const store = new SqlCorrectionStore(new SqlDbFunctions(db.sql));
      const jobId = await seedJob(db.sql, 'kept text');
      await store.record({
        tenantId: 'default',
        jobId,
        position: 0,
        filename: 'k.pdf',
        label: 'letter',
        predictedLabel: null,
        text: 'kept text',
      });

      await db.sql.query('delete from inbox_jobs where id = $1', [jobId]);

      const rows = await db.sql.query<{ job_id: string | null; label: string }>(
        `select job_id, label from inbox_document_corrections where text = 'kept text'`,
      );
      expect(rows).toEqual([{ job_id: null, label: 'letter' }]);
    });
  });

  describe('POST /job/{job_id}/documents/{position}/label through HttpApiModule', () => {
    let app: INestApplication;

    beforeAll(async () => {
      @Global()
      @Module({
        providers: [
          { provide: AppConfig, useValue: AppConfig.fromEnvironment({ CLASSIFIER_PROVIDER: 'local' }) },
          { provide: SqlClientToken, useValue: db.sql },
          { provide: DbFunctions, useValue: new SqlDbFunctions(db.sql) },
        ],
        exports: [AppConfig, SqlClientToken, DbFunctions],
      })
      class TestGlobals {}

      const moduleRef = await Test.createTestingModule({ imports: [TestGlobals, HttpApiModule] })
        // Production polls the store every 5 s; the test wants the next document to see the label.
        .overrideProvider(TrainingExamples)
        .useFactory({
          factory: (store: CorrectionStore) => new TrainingExamples(store, { refreshMs: 0, limit: 100 }),
          inject: [CorrectionStore],
        })
        .compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
    });
    afterAll(async () => {
      await app?.close();
    });

    it('lists the categories', async () => {
      const res = await request(app.getHttpServer()).get('/categories').expect(200);
      expect(res.body.fallback).toBe('other');
      expect(res.body.categories.map((c: { id: string }) => c.id)).toEqual(
        app.get(Taxonomy).categories.map((c) => c.id),
      );
    });

    it('records a label that changes a later prediction of a similar document', async () => {
      const classifier = app.get(Classifier);
      const categories = app.get(Taxonomy).select(null);
      const classify = (text: string) =>
        classifier.classify({
          pages: [{ number: 1, text, source: 'text-layer', confidence: null }],
          pageCount: 1,
          filename: 'ts.pdf',
          categories,
          signal: new AbortController().signal,
        });
      const jobId = await seedJob(db.sql, TIMESHEET(44));
      const before = await classify(TIMESHEET(46));

      const res = await request(app.getHttpServer())
        .post(`/job/${jobId}/documents/0/label`)
        .send({ label: 'payslip' })
        .expect(200);

      expect(res.body).toMatchObject({
        job_id: jobId,
        position: 0,
        filename: 'timesheet.pdf',
        label: 'payslip',
        predicted_label: 'other',
      });
      expect(before.label).not.toBe('payslip');
      await expect(classify(TIMESHEET(46))).resolves.toMatchObject({ label: 'payslip', classifier: 'local' });
    });

    it('answers 404 for an unknown job, a malformed id or a missing position', async () => {
      const jobId = await seedJob(db.sql, 'text');
      const server = app.getHttpServer();
      await request(server).post(`/job/${randomUUID()}/documents/0/label`).send({ label: 'invoice' }).expect(404);
      await request(server).post('/job/not-a-uuid/documents/0/label').send({ label: 'invoice' }).expect(404);
      const missing = await request(server).post(`/job/${jobId}/documents/7/label`).send({ label: 'invoice' });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: `job ${jobId} has no document at position 7`,
      });
    });

    it('answers 400, not a database error, for a position no integer column holds', async () => {
      const jobId = await seedJob(db.sql, 'text');
      const server = app.getHttpServer();
      for (const position of ['2147483648', '-1', '1.5', '1e3', '0x1', '99999999999999999999']) {
        const res = await request(server).post(`/job/${jobId}/documents/${position}/label`).send({ label: 'invoice' });
        expect({ position, status: res.status, body: res.body }).toEqual({
          position,
          status: 400,
          body: { statusCode: 400, error: 'Bad Request', message: 'position must be an integer from 0 to 2147483647' },
        });
      }
      await request(server).post(`/job/${jobId}/documents/2147483647/label`).send({ label: 'invoice' }).expect(404);
    });

    it('answers 404 for a malformed job id without echoing all of it', async () => {
      const res = await request(app.getHttpServer())
        .post(`/job/${'x'.repeat(10_000)}/documents/0/label`)
        .send({ label: 'invoice' })
        .expect(404);
      expect(res.body.message).toBe(`job ${'x'.repeat(64)}… (10000 characters) not found`);
    });

    it('answers 400 for a label outside the taxonomy or a bad body', async () => {
      const jobId = await seedJob(db.sql, 'text');
      const server = app.getHttpServer();
      const res = await request(server).post(`/job/${jobId}/documents/0/label`).send({ label: 'banana' }).expect(400);
      expect(res.body.message).toContain("label 'banana' is not a document type");
      await request(server).post(`/job/${jobId}/documents/0/label`).send({}).expect(400);
      await request(server).post(`/job/${jobId}/documents/0/label`).send({ label: 'invoice', extra: 1 }).expect(400);
      await request(server).post(`/job/${jobId}/documents/x/label`).send({ label: 'invoice' }).expect(400);
    });

    it('answers 409 for a document without text yet', async () => {
      const jobId = await seedJob(db.sql, 'text');
      const res = await request(app.getHttpServer())
        .post(`/job/${jobId}/documents/1/label`)
        .send({ label: 'invoice' })
        .expect(409);
      expect(res.body.message).toContain('has no text yet (status pending)');
    });

    it("accepts 'other' as a label", async () => {
      const jobId = await seedJob(db.sql, 'a lunch menu');
      await request(app.getHttpServer()).post(`/job/${jobId}/documents/0/label`).send({ label: 'other' }).expect(200);
    });
  });
});
