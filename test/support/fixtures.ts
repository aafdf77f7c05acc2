import { createHash } from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { DocumentResult, NewJob, NewJobFile } from '../../src/jobs/job.model';

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

export function textFile(filename: string, text: string): NewJobFile {
  const bytes = Buffer.from(text);
  return { filename, contentType: 'text/plain', bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function newJob(fileCount = 1, overrides: Partial<NewJob> = {}): NewJob {
  return {
    files: Array.from({ length: fileCount }, (_, i) => textFile(`doc-${i}.txt`, `document ${i}`)),
    categories: null,
    maxAttempts: 3,
    ...overrides,
  };
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
