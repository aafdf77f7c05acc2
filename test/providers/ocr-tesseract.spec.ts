import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { TesseractOcrEngine } from '../../src/ocr/tesseract.ocr-engine';
import { CORPUS_DIR, describeWithCorpus } from '../support/corpus';
import { buildExtractor, input } from '../support/ocr-extractor.builder';
import { mixedPdf, textImagePng } from '../support/ocr-fixtures';

jest.setTimeout(120_000);

// One pool for the whole file, as in the service: workers are reused across documents.
const engine = new TesseractOcrEngine({ languages: ['eng'], workers: 2 });
const extractor = buildExtractor(engine);
afterAll(() => engine.close());

const words = (text: string) => text.toUpperCase().replace(/\s+/g, ' ');

describe('local OCR (tesseract.js) on generated fixtures', () => {
  it('reads a rendered image of text', async () => {
    const png = textImagePng(['INVOICE 4711', 'TOTAL DUE 250 EUR']);
    const result = await extractor.extract(input(png, 'image/png'));
    expect(result.pages[0].source).toBe('tesseract');
    expect(words(result.pages[0].text)).toContain('INVOICE 4711');
    expect(words(result.pages[0].text)).toContain('TOTAL DUE');
    expect(result.pages[0].confidence).toBeGreaterThan(0.5);
  });

  it('reads the scanned page of a mixed PDF and keeps the text layer of the other', async () => {
    const pdf = await mixedPdf('Cover page with a real text layer about the contract', [
      'RENTAL AGREEMENT',
      'SIGNED BY BOTH PARTIES',
    ]);
    const result = await extractor.extract(input(pdf, 'application/pdf'));
    expect(result.pages.map((p) => p.source)).toEqual(['text-layer', 'tesseract']);
    expect(words(result.pages[1].text)).toContain('RENTAL AGREEMENT');
  });

  it.each([90, 270])('turns a page that lies on its side (%i degrees) upright before reading it', async (turn) => {
    const upright = textImagePng([
      'QUARTERLY REPORT',
      'REVENUE GREW STRONGLY',
      'ACROSS ALL REGIONS',
      'IN THE THIRD QUARTER',
    ]);
    const sideways = new Uint8Array(await sharp(upright).rotate(turn).png().toBuffer());
    const result = await extractor.extract(input(sideways, 'image/png'));
    expect(words(result.pages[0].text)).toContain('QUARTERLY REPORT');
  });

  it('stops a page whose time runs out mid-recognition, replacing its worker, and reads the next page', async () => {
    const page = textImagePng(
      Array.from({ length: 60 }, (_, i) => `LINE ${i} OF A VERY LONG PAGE OF TEXT`),
      2400,
    );
    const controller = new AbortController();
    const reading = engine.recognize({ kind: 'image', bytes: page, contentType: 'image/png' }, controller.signal);
    const before = engine.startedWorkers;
    // Recognising this page takes seconds: abort once it is under way.
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await expect(reading).rejects.toMatchObject({ code: 'timeout' });
    // The killed slot left the pool (a recognition cannot be interrupted, so its thread went).
    expect(engine.startedWorkers).toBe(before - 1);
    const next = await extractor.extract(input(textImagePng(['RECEIPT 42']), 'image/png'));
    expect(words(next.pages[0].text)).toContain('RECEIPT 42');
  });
});

describeWithCorpus('local OCR (tesseract.js) on the corpus', () => {
  const read = (file: string, contentType: string) =>
    extractor.extract(input(new Uint8Array(readFileSync(join(CORPUS_DIR, file))), contentType, 120_000));

  it('reads a scanned till receipt (receipt/rcp_sroie_005.jpg)', async () => {
    const text = words((await read('receipt/rcp_sroie_005.jpg', 'image/jpeg')).pages[0].text);
    expect(text).toContain('HARMONI');
    expect(text).toContain('TOTAL');
    expect(text).toContain('31.00');
  });

  it('reads an invoice image (invoice/inv_simple.png)', async () => {
    const text = words((await read('invoice/inv_simple.png', 'image/png')).pages[0].text);
    expect(text).toContain('CONTOSO');
    expect(text).toContain('INVOICE');
    expect(text).toContain('REDMOND');
  });

  it('reads the rotated 1972 fax scan PDF (letter/let_slerexe_fax_scan.pdf)', async () => {
    const result = await read('letter/let_slerexe_fax_scan.pdf', 'application/pdf');
    expect(result.pages[0].source).toBe('tesseract');
    const text = words(result.pages[0].text);
    expect(text).toContain('DORSET');
    expect(text).toContain('CUNDALL');
    expect(text).toContain('FACSIMILE');
  });

  it('reads both pages of a two-page TIFF (form/frm_intake_handwritten_2p.tiff)', async () => {
    const result = await read('form/frm_intake_handwritten_2p.tiff', 'image/tiff');
    expect(result.pageCount).toBe(2);
    expect(result.pages.map((p) => p.number)).toEqual([1, 2]);
    expect(result.pages.every((p) => p.source === 'tesseract')).toBe(true);
  });
});
