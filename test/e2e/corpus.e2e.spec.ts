import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { localOcrFor } from '../../src/config/app-config';
import { corpusManifest, describeWithCorpus, type CorpusEntry } from '../support/corpus';
import { startTestApp, waitForJob, type TestApp } from '../support/test-app';

/** Real documents through the whole service: HTTP upload, worker, real providers. */
describeWithCorpus('real documents from ../shared/corpus, end to end', () => {
  let t: TestApp;
  let manifest: CorpusEntry[];

  beforeAll(async () => {
    manifest = corpusManifest();
    t = await startTestApp({ env: { FILE_TIMEOUT_SECONDS: '60', WORKER_CONCURRENCY: '2', OCR_WORKERS: '2' } });
    // Booting two OCR workers and migrating PGlite outlasts jest's 5 s on a loaded machine.
  }, 60_000);
  afterAll(() => t?.close());

  it('classifies one text PDF of each class and a scanned image, mostly right', async () => {
    const textPdfs = [...new Map(manifest.filter((e) => e.kind === 'text-pdf').map((e) => [e.label, e])).values()];
    const image = manifest.find((e) => e.file === 'receipt/' + basename(e.file) && e.kind === 'image')!;
    const picked = [...textPdfs, image];
    let req = t.http.post('/classify-documents-async');
    for (const e of picked) req = req.attach('files', readFileSync(e.path), basename(e.file));
    const { body } = await req.expect(202);
    const job = await waitForJob(t, body.job_id, 180_000);
    expect(job.status).toBe('completed');
    expect(job.result.documents.every((d) => d.status === 'completed')).toBe(true);
    const right = job.result.documents.filter((d, i) => d.document_type === picked[i].label);
    const report = job.result.documents.map((d, i) => `${picked[i].file}: ${d.document_type} (${d.confidence})`);
    console.log(`corpus e2e: ${right.length}/${picked.length} right\n  ${report.join('\n  ')}`);
    // OCR_PROVIDER=auto without AWS: the local engine that reads the corpus better.
    expect(job.result.documents[picked.length - 1].text_sources).toEqual([localOcrFor(['eng'])]);
    expect(right.length / picked.length).toBeGreaterThanOrEqual(0.75);
  }, 240_000);

  it('turns every hostile file into a clear 4xx or a per-file outcome, and keeps serving', async () => {
    const bad = manifest.filter((e) => e.label === 'bad');
    const outcomes: string[] = [];
    const accepted: Array<{ file: string; id: string }> = [];
    for (const e of bad) {
      const res = await t.http
        .post('/classify-documents-async')
        .attach('files', readFileSync(e.path), basename(e.file));
      expect(res.status).toBeLessThan(500);
      if (res.status === 202) accepted.push({ file: e.file, id: res.body.job_id });
      else {
        expect(res.body.message).toContain(basename(e.file));
        outcomes.push(`${e.file}: ${res.status} ${res.body.message}`);
      }
    }
    for (const { file, id } of accepted) {
      const job = await waitForJob(t, id, 180_000);
      expect(job.status).toBe('completed');
      const [doc] = job.result.documents;
      if (doc.status === 'failed') expect(doc.error?.message).toBeTruthy();
      outcomes.push(
        `${file}: ${doc.status} ${doc.error ? `${doc.error.code}: ${doc.error.message}` : doc.document_type}`,
      );
    }
    console.log(`bad corpus through the API:\n  ${outcomes.join('\n  ')}`);
    const byFile = Object.fromEntries(outcomes.map((o) => [o.split(':')[0], o]));
    expect(byFile['bad/bad_zero_bytes.pdf']).toMatch(/400 file 'bad_zero_bytes.pdf' is empty/);
    expect(byFile['bad/bad_encrypted_user_pw.pdf']).toMatch(/failed encrypted_pdf/);
    expect(byFile['bad/bad_20000px.png']).toMatch(/failed image_too_large/);
    expect(byFile['bad/bad_corrupt.png']).toMatch(/failed/);
    await t.http.get('/health/ready').expect(200);
  }, 600_000);

  it('runs the whole bad set as one job through the worker: each file gets its own outcome', async () => {
    const bad = manifest.filter((e) => e.label === 'bad' && !/zero_bytes|one_byte/.test(e.file));
    let req = t.http.post('/classify-documents-async');
    for (const e of bad) req = req.attach('files', readFileSync(e.path), basename(e.file));
    const { body } = await req.expect(202);
    const job = await waitForJob(t, body.job_id, 600_000);
    expect(job.status).toBe('completed');
    expect(job.result.documents).toHaveLength(bad.length);
    expect(job.failed_files).toBeGreaterThanOrEqual(5);
    for (const d of job.result.documents) expect(d.status === 'completed' || d.error?.code).toBeTruthy();
  }, 600_000);
});
