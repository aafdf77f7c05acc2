import { randomUUID } from 'node:crypto';
import { Global, Module, ValidationPipe, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Classifier } from '../../src/classifier/classifier.port';
import { ClassifierModule } from '../../src/classifier/classifier.module';
import { CorrectionStore } from '../../src/classifier/correction-store.port';
import { SqlCorrectionStore } from '../../src/classifier/sql-correction.store';
import { Taxonomy } from '../../src/classifier/taxonomy';
import { TrainingExamples } from '../../src/classifier/training-examples';
import { AppConfig } from '../../src/config/app-config';
import type { SqlClient } from '../../src/database/sql-client.port';
import { SqlClient as SqlClientToken } from '../../src/database/sql-client.port';
import { JobStore } from '../../src/jobs/job-store.port';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { databaseTargets, type TestDatabase } from '../support/databases';

const TIMESHEET = (week: number) =>
  `Contoso staffing weekly timesheet week ${week}\nConsultant hours Monday 8 Tuesday 8 Wednesday 7.5\n` +
  `Project code CX-77 approved by line manager, overtime hours 2, billable hours 39.5`;

/** A job with one completed document (text + result) and one still pending, written with plain SQL. */
async function seedJob(sql: SqlClient, text: string): Promise<string> {
  const id = randomUUID();
  await sql.query(`insert into inbox_jobs (id, total_files, status) values ($1, 2, 'processing')`, [id]);
  await sql.query(
    `insert into inbox_job_files (job_id, position, filename, content_type, size, sha256, bytes, status, result, text)
     values ($1, 0, 'timesheet.pdf', 'application/pdf', 3, 'x', '\\x000102', 'completed', $2, $3),
            ($1, 1, 'later.pdf', 'application/pdf', 3, 'y', '\\x000102', 'pending', null, null)`,
    [id, JSON.stringify({ document_type: 'other', confidence: 0.6 }), text],
  );
  return id;
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
      const store = new SqlCorrectionStore(db.sql);
      const jobId = await seedJob(db.sql, 'some text');
      const empty = await store.revision();

      const first = await store.record({
        jobId,
        position: 0,
        filename: 'a.pdf',
        label: 'invoice',
        predictedLabel: 'other',
        text: 'some text',
      });
      const afterFirst = await store.revision();
      const second = await store.record({
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
      const store = new SqlCorrectionStore(db.sql);
      const jobId = await seedJob(db.sql, 'kept text');
      await store.record({
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

  describe('POST /job/{job_id}/documents/{position}/label through ClassifierModule', () => {
    let app: INestApplication;

    beforeAll(async () => {
      @Global()
      @Module({
        providers: [
          { provide: AppConfig, useValue: AppConfig.fromEnvironment({ CLASSIFIER_PROVIDER: 'local' }) },
          { provide: SqlClientToken, useValue: db.sql },
          { provide: JobStore, useValue: new SqlJobStore(db.sql) },
        ],
        exports: [AppConfig, SqlClientToken, JobStore],
      })
      class TestGlobals {}

      const moduleRef = await Test.createTestingModule({ imports: [TestGlobals, ClassifierModule] })
        // Production polls the store every 5 s; the test wants the next document to see the label.
        .overrideProvider(TrainingExamples)
        .useFactory({
          factory: (store: CorrectionStore) => new TrainingExamples(store, { refreshMs: 0, limit: 100 }),
          inject: [CorrectionStore],
        })
        .compile();
      app = moduleRef.createNestApplication();
      app.useGlobalPipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }));
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
      await request(server).post(`/job/${jobId}/documents/7/label`).send({ label: 'invoice' }).expect(404);
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
