import { createHash, randomUUID } from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { DEFAULT_TENANT, type DocumentOutcome, type DocumentResult, type NewJob } from '../../src/jobs/job.model';
import { blobKeyFor } from '../../src/storage/blob-key';

/** A real PDF with a text layer, one page per entry. */
export async function makeTextPdf(pages: string[]): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of pages) {
    const page = doc.addPage([595, 842]);
    text.split('\n').forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 18, size: 12, font }));
  }
  return Buffer.from(await doc.save());
}

export const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A job as the API records it: files already in the BlobStore under the job's keys. */
export function newJob(fileCount = 1, overrides: Partial<NewJob> = {}): NewJob {
  const id = overrides.id ?? randomUUID();
  const tenantId = overrides.tenantId ?? DEFAULT_TENANT;
  return {
    id,
    tenantId,
    files: Array.from({ length: fileCount }, (_, i) => ({
      filename: `doc-${i}.txt`,
      contentType: 'text/plain',
      size: 10,
      sha256: sha256(`document ${i}`),
      blobKey: blobKeyFor(tenantId, id, i),
    })),
    categories: null,
    maxAttempts: 3,
    ...overrides,
  };
}

/** A completed document with one page of text. */
export function done(jobId: string, index: number, text = 'x'): Extract<DocumentOutcome, { status: 'completed' }> {
  return {
    jobId,
    index,
    filePosition: index,
    status: 'completed',
    result: documentResult(),
    pages: [{ number: 1, text, source: 'plain-text', confidence: null }],
    pageCount: 1,
  };
}

export function failed(jobId: string, index: number, code = 'corrupt_pdf'): DocumentOutcome {
  return { jobId, index, filePosition: index, status: 'failed', error: { code, message: 'broken' } };
}

export function documentResult(overrides: Partial<DocumentResult> = {}): DocumentResult {
  return {
    document_type: 'invoice',
    confidence: 0.9,
    reasons: ['test'],
    pages: 1,
    page_count: 1,
    text_sources: ['plain-text'],
    ocr_confidence: null,
    classifier: 'test',
    warnings: [],
    duration_ms: 1,
    ...overrides,
  };
}
