import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { DocumentError } from '../../src/common/document-error';
import { DocumentTextExtractor } from '../../src/ocr/document-text.extractor';
import { ImageNormalizer } from '../../src/ocr/image.normalizer';
import { DEFAULT_SANDBOX_LIMITS } from '../../src/ocr/pdf/pdf-sandbox';
import { PdfThreadPool } from '../../src/ocr/pdf/pdf-thread-pool';
import { ExtractionResult } from '../../src/ocr/text-extractor.port';
import { CORPUS_DIR, describeWithCorpus } from '../support/corpus';
import { textPdf } from '../support/ocr-fixtures';
import { RecordingOcrEngine } from '../support/ocr-recording.engine';

const MAX_IMAGE_PIXELS = 40_000_000;

function extractor(pdfThreads: PdfThreadPool | null = null): DocumentTextExtractor {
  return new DocumentTextExtractor(
    {
      maxPages: 50,
      minTextLayerChars: 20,
      renderDpi: 200,
      maxRenderPixels: 12_000_000,
      pdf: { maxImagePixels: MAX_IMAGE_PIXELS, ...DEFAULT_SANDBOX_LIMITS },
    },
    new ImageNormalizer({ maxImagePixels: MAX_IMAGE_PIXELS, maxOcrPixels: 12_000_000, minLongSide: 1500 }),
    // Records and answers instantly: this suite is about surviving the files, not reading them.
    new RecordingOcrEngine(),
    pdfThreads,
  );
}

/** How a file ended, for comparing two ways of reading it. */
function ending(outcome: ExtractionResult | DocumentError): string {
  return outcome instanceof DocumentError ? outcome.code : `${outcome.pageCount} pages, ${outcome.pages.length} read`;
}

async function run(
  file: string,
  timeoutMs = 30_000,
  reader = extractor(),
  owner?: string,
): Promise<ExtractionResult | DocumentError> {
  const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, 'bad', file)));
  // As at upload: sniffed from the bytes; unknown bytes fall back to the name so we still try.
  const sniffed = (await fileTypeFromBuffer(bytes))?.mime;
  const contentType = sniffed ?? (extname(file) === '.pdf' ? 'application/pdf' : 'image/png');
  try {
    return await reader.extract({ bytes, contentType, filename: file, owner, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    if (error instanceof DocumentError) return error;
    throw error;
  }
}

const PDF_FILES = [
  'bad_header_only.pdf',
  'bad_encrypted_user_pw.pdf',
  'bad_encrypted_paper.pdf',
  'bad_619_pages.pdf',
  'bad_fake_page_count.pdf',
  'bad_page_tree_cycle.pdf',
  'bad_deflate_bomb.pdf',
  'bad_truncated_trailer.pdf',
  'bad_junk_before_header.pdf',
  'bad_35000px_image.pdf',
];

describeWithCorpus('hostile and broken files (corpus bad/)', () => {
  jest.setTimeout(120_000);

  it.each([
    ['bad_zero_bytes.pdf', 'empty_file'],
    ['bad_one_byte.png', 'corrupt_image'],
    ['bad_header_only.pdf', 'corrupt_pdf'],
    ['bad_corrupt.png', 'corrupt_image'],
    ['bad_encrypted_user_pw.pdf', 'encrypted_pdf'],
    ['bad_encrypted_paper.pdf', 'encrypted_pdf'],
    ['bad_20000px.png', 'image_too_large'],
  ])('%s fails as %s', async (file, code) => {
    const outcome = await run(file);
    expect(outcome).toBeInstanceOf(DocumentError);
    expect((outcome as DocumentError).code).toBe(code);
  });

  it('says an encrypted PDF is password-protected', async () => {
    expect(((await run('bad_encrypted_user_pw.pdf')) as DocumentError).message).toMatch(/password/);
  });

  it('reads the first 50 of 619 pages and warns about the rest', async () => {
    const outcome = (await run('bad_619_pages.pdf')) as ExtractionResult;
    expect(outcome.pageCount).toBe(619);
    expect(outcome.pages).toHaveLength(50);
    expect(outcome.warnings.join(' ')).toMatch(/619 pages.*first 50/);
  });

  it.each([
    'bad_fake_page_count.pdf',
    'bad_page_tree_cycle.pdf',
    'bad_deflate_bomb.pdf',
    'bad_truncated_trailer.pdf',
    'bad_junk_before_header.pdf',
    'bad_jpeg_named.pdf',
  ])('%s ends as a bounded result or a per-file error', async (file) => {
    const outcome = await run(file);
    if (outcome instanceof DocumentError) expect(outcome.code).toMatch(/^[a-z_]+$/);
    else expect(outcome.pages.length).toBeLessThanOrEqual(50);
  });

  it('bad_35000px_image.pdf stays within the time and memory limits', async () => {
    const outcome = await run('bad_35000px_image.pdf');
    if (outcome instanceof DocumentError)
      expect(['timeout', 'resource_limit', 'image_too_large']).toContain(outcome.code);
    else expect(outcome.pages.length).toBe(1);
  });

  it("ends every PDF of the set as a fresh thread does when one owner's warm thread reads them in turn, and reads a good PDF after each", async () => {
    const pool = new PdfThreadPool();
    const pooled = extractor(pool);
    const good = await textPdf(['A good document read right after a hostile one']);
    try {
      for (const file of PDF_FILES) {
        const fresh = ending(await run(file));
        expect(`${file}: ${ending(await run(file, 30_000, pooled, 'hostile'))}`).toBe(`${file}: ${fresh}`);
        const after = await pooled.extract({
          bytes: good,
          contentType: 'application/pdf',
          filename: 'good.pdf',
          owner: 'hostile',
          signal: AbortSignal.timeout(30_000),
        });
        expect(after.pages[0].text).toContain('read right after a hostile one');
      }
    } finally {
      await pool.close();
    }
  });

  it('stops at the time limit with a timeout error', async () => {
    const outcome = await run('bad_619_pages.pdf', 1);
    expect(outcome).toBeInstanceOf(DocumentError);
    expect((outcome as DocumentError).code).toBe('timeout');
  });
});
