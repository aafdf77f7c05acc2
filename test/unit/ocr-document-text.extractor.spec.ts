import sharp from 'sharp';
import { PDFDocument } from 'pdf-lib';
import { ImageNormalizer } from '../../src/ocr/image.normalizer';
import { OcrPageInput } from '../../src/ocr/ocr-engine.port';
import { buildExtractor, input } from '../support/ocr-extractor.builder';
import { mixedPdf, textImagePng, textPdf } from '../support/ocr-fixtures';
import { RecordingOcrEngine } from '../support/ocr-recording.engine';
import { documentError } from '../support/document-error';

jest.setTimeout(30_000);

describe('DocumentTextExtractor', () => {
  it('decodes plain text and drops the UTF-8 BOM', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('Grüße, Invoice 42')]);
    const result = await buildExtractor(null).extract(input(bytes, 'text/plain'));
    expect(result).toEqual({
      pages: [{ number: 1, text: 'Grüße, Invoice 42', source: 'plain-text', confidence: null }],
      pageCount: 1,
      warnings: [],
    });
  });

  it('reads a digital PDF from its text layer without calling OCR', async () => {
    const ocr = new RecordingOcrEngine();
    const pdf = await textPdf([
      'INVOICE number 2024-001\nTotal due: 1,234.56 EUR',
      'Page two: payment terms are thirty days',
    ]);
    const result = await buildExtractor(ocr).extract(input(pdf, 'application/pdf'));
    expect(ocr.calls).toHaveLength(0);
    expect(result.pageCount).toBe(2);
    expect(result.pages.map((p) => p.source)).toEqual(['text-layer', 'text-layer']);
    expect(result.pages[0].text).toContain('INVOICE number 2024-001');
    expect(result.pages[1].text).toContain('payment terms');
    expect(result.warnings).toEqual([]);
  });

  it('sends only the page without a text layer of a mixed PDF to OCR, as an image', async () => {
    const ocr = new RecordingOcrEngine('image', 'scanned words');
    const pdf = await mixedPdf('This first page has a real text layer with words', ['SCANNED PAGE']);
    const result = await buildExtractor(ocr).extract(input(pdf, 'application/pdf'));
    expect(ocr.calls).toHaveLength(1);
    expect(ocr.calls[0]).toMatchObject({ kind: 'image', contentType: 'image/png' });
    expect(Buffer.from(ocr.calls[0].bytes.subarray(1, 4)).toString()).toBe('PNG');
    expect(result.pages).toEqual([
      expect.objectContaining({ number: 1, source: 'text-layer', confidence: null }),
      { number: 2, text: 'scanned words', source: 'tesseract', confidence: 0.9 },
    ]);
  });

  it('recognises up to `parallelism` scanned pages at once, in page order', async () => {
    // Every call waits until both are in flight: with one page at a time this would never settle.
    let arrived = 0;
    let bothIn!: () => void;
    const barrier = new Promise<void>((resolve) => (bothIn = resolve));
    const ocr = new (class extends RecordingOcrEngine {
      override async recognize(page: OcrPageInput) {
        const answer = await super.recognize(page);
        if (++arrived === 2) bothIn();
        await barrier;
        return { ...answer, text: `page read #${arrived}` };
      }
    })('image', 'x', 10 * 1024 * 1024, 2);
    const pdf = await mixedPdf('This first page has a real text layer with words', ['SCANNED PAGE']);
    const twoScans = await PDFDocument.load(pdf);
    const [copy] = await twoScans.copyPages(twoScans, [1]);
    twoScans.addPage(copy);
    const result = await buildExtractor(ocr).extract(input(await twoScans.save(), 'application/pdf'));
    expect(ocr.calls).toHaveLength(2);
    expect(result.pages.map((p) => p.source)).toEqual(['text-layer', 'tesseract', 'tesseract']);
  });

  it('hands scanned pages as single-page PDFs to an engine that takes PDFs', async () => {
    const ocr = new RecordingOcrEngine('pdf');
    const pdf = await mixedPdf('This first page has a real text layer with words', ['SCANNED PAGE']);
    await buildExtractor(ocr).extract(input(pdf, 'application/pdf'));
    expect(ocr.calls).toHaveLength(1);
    expect(ocr.calls[0].kind).toBe('pdf');
    expect(Buffer.from(ocr.calls[0].bytes.subarray(0, 5)).toString()).toBe('%PDF-');
  });

  it('sends a page image over the engine input limit as a greyscale JPEG', async () => {
    const ocr = new RecordingOcrEngine('pdf', 'x', 2_000); // even the split page is over the limit
    const pdf = await mixedPdf('This first page has a real text layer with words', ['SCANNED PAGE']);
    await buildExtractor(ocr).extract(input(pdf, 'application/pdf'));
    expect(ocr.calls).toHaveLength(1);
    expect(ocr.calls[0]).toMatchObject({ kind: 'image', contentType: 'image/jpeg' });
    const meta = await sharp(Buffer.from(ocr.calls[0].bytes)).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', channels: 1 });
  });

  it('with OCR off, returns a scanned page empty with a warning instead of failing', async () => {
    const pdf = await mixedPdf('This first page has a real text layer with words', ['SCANNED PAGE']);
    const result = await buildExtractor(null).extract(input(pdf, 'application/pdf'));
    expect(result.pages[1]).toEqual({ number: 2, text: '', source: 'none', confidence: null });
    expect(result.warnings).toEqual([expect.stringMatching(/Page 2 has no text layer \(a scan\) and OCR is off/)]);
  });

  it('reads the first maxPages pages and warns that the rest were skipped', async () => {
    const pdf = await textPdf(
      ['one', 'two', 'three', 'four', 'five'].map((w) => `This is page ${w} of a long text document`),
    );
    const result = await buildExtractor(null, { maxPages: 2 }).extract(input(pdf, 'application/pdf'));
    expect(result.pageCount).toBe(5);
    expect(result.pages.map((p) => p.number)).toEqual([1, 2]);
    expect(result.warnings).toEqual([expect.stringMatching(/5 pages; only the first 2 were read/)]);
  });

  it('sends an image to OCR as a normalised greyscale PNG', async () => {
    const ocr = new RecordingOcrEngine();
    const result = await buildExtractor(ocr).extract(input(textImagePng(['HELLO']), 'image/png'));
    expect(ocr.calls).toHaveLength(1);
    expect(result).toEqual({
      pages: [{ number: 1, text: 'recognised text', source: 'tesseract', confidence: 0.9 }],
      pageCount: 1,
      warnings: [],
    });
  });

  it('with OCR off, returns an image as one empty page with a warning', async () => {
    const result = await buildExtractor(null).extract(input(textImagePng(['HELLO']), 'image/png'));
    expect(result.pages).toEqual([{ number: 1, text: '', source: 'none', confidence: null }]);
    expect(result.warnings[0]).toMatch(/image and OCR is off/);
  });

  it.each([
    ['empty', new Uint8Array(0), 'application/pdf', 'empty_file'],
    ['zip', new TextEncoder().encode('PK zip bytes'), 'application/zip', 'unsupported_type'],
    ['junk pdf', new TextEncoder().encode('%PDF-1.7\nnot really a pdf\n%%EOF'), 'application/pdf', 'corrupt_pdf'],
    [
      'truncated png',
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]),
      'image/png',
      'corrupt_image',
    ],
  ])('fails a bad file with a per-file error: %s', async (_name, bytes, contentType, code) => {
    expect(
      (await documentError(buildExtractor(new RecordingOcrEngine()).extract(input(bytes, contentType)))).code,
    ).toBe(code);
  });

  it('refuses an image over the pixel limit before decoding it', async () => {
    const normalizer = new ImageNormalizer({ maxImagePixels: 100_000, maxOcrPixels: 100_000, minLongSide: 10 });
    const error = await documentError(normalizer.page(textImagePng(['BIG'], 1000, 200), 0));
    expect(error.code).toBe('image_too_large');
  });

  it('fails with timeout once the signal has fired', async () => {
    const pdf = await textPdf(['A page with enough text to count as a text layer']);
    const signal = AbortSignal.abort();
    const error = await documentError(
      buildExtractor(null).extract({ bytes: pdf, contentType: 'application/pdf', filename: 'x.pdf', signal }),
    );
    expect(error.code).toBe('timeout');
  });
});
