import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_PADDLE_SETTINGS, PaddleOcrEngine } from '../../src/ocr/paddle.ocr-engine';
import { CORPUS_DIR, describeWithCorpus } from '../support/corpus';
import { buildLocalExtractor, input } from '../support/ocr-extractor.builder';
import { blankPng, browserPrintPdf, fadedReceiptPhotoJpeg, mixedPdf, textImagePng } from '../support/ocr-fixtures';

jest.setTimeout(180_000);

// One pool for the whole file, as in the service: worker threads are reused across documents.
const engine = new PaddleOcrEngine({ workers: 2, ...DEFAULT_PADDLE_SETTINGS });
const extractor = buildLocalExtractor(engine);
afterAll(() => engine.close());

// PaddleOCR often reads Latin words without the spaces between them.
const letters = (text: string) => text.toUpperCase().replace(/\s+/g, '');

describe('local OCR (PaddleOCR through ONNX) on generated pages', () => {
  it('reads a rendered image of text, with its own source and a confidence', async () => {
    const png = textImagePng(['INVOICE 4711', 'TOTAL DUE 250 EUR']);
    const result = await extractor.extract(input(png, 'image/png'));
    expect(result.pages[0].source).toBe('paddle');
    expect(letters(result.pages[0].text)).toContain('INVOICE4711');
    expect(letters(result.pages[0].text)).toContain('TOTALDUE');
    expect(result.pages[0].confidence).toBeGreaterThan(0.8);
  });

  it('reads the scanned page of a mixed PDF and the image under a browser print header', async () => {
    const mixed = await extractor.extract(
      input(
        await mixedPdf('Cover page with a real text layer about the contract', ['RENTAL AGREEMENT']),
        'application/pdf',
      ),
    );
    expect(mixed.pages.map((p) => p.source)).toEqual(['text-layer', 'paddle']);
    expect(letters(mixed.pages[1].text)).toContain('RENTALAGREEMENT');
    const print = await extractor.extract(
      input(await browserPrintPdf(['DRIVER LICENSE', 'JOHN SAMPLE']), 'application/pdf'),
    );
    expect(print.pages[0].source).toBe('paddle');
    expect(letters(print.pages[0].text)).toContain('JOHNSAMPLE');
  });

  it.each([90, 180, 270])('reads a page turned %i degrees', async (turn) => {
    const upright = textImagePng(['QUARTERLY REPORT', 'REVENUE GREW STRONGLY', 'ACROSS ALL REGIONS']);
    const turned = new Uint8Array(await sharp(upright).rotate(turn).png().toBuffer());
    const result = await extractor.extract(input(turned, 'image/png'));
    expect(letters(result.pages[0].text)).toContain('QUARTERLYREPORT');
  });

  it('reads a faded receipt photographed on a dark table', async () => {
    const photo = await fadedReceiptPhotoJpeg(['MEGA STORE SDN BHD', 'TOTAL RM 12.50', 'THANK YOU COME AGAIN']);
    const text = letters((await extractor.extract(input(photo, 'image/jpeg'))).pages[0].text);
    expect(text).toContain('MEGASTORE');
    expect(text).toContain('12.50');
  });

  it('warns about a blank page instead of inventing text', async () => {
    const result = await extractor.extract(input(await blankPng(), 'image/png'));
    expect(result.pages[0].text).toBe('');
    expect(result.warnings).toEqual(['page 1: OCR read no text (blank or unreadable image)']);
  });

  it('fails a bad page with a document error and keeps reading the next ones', async () => {
    const garbage = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]);
    await expect(
      engine.recognize({ kind: 'image', bytes: garbage, contentType: 'image/png' }, AbortSignal.timeout(30_000)),
    ).rejects.toMatchObject({ code: 'corrupt_image' });
    const next = await extractor.extract(input(textImagePng(['RECEIPT 42']), 'image/png'));
    expect(letters(next.pages[0].text)).toContain('RECEIPT42');
  });

  it('stops a page whose time runs out mid-recognition, replacing its process, and reads the next page', async () => {
    const page = textImagePng(
      Array.from({ length: 40 }, (_, i) => `LINE ${i} OF A VERY LONG PAGE OF TEXT`),
      2400,
    );
    // Both slots started and idle, so the aborted page does not wait for one.
    await Promise.all([1, 2].map(() => extractor.extract(input(textImagePng(['WARM UP']), 'image/png'))));
    expect(engine.startedWorkers).toBe(2);
    const controller = new AbortController();
    const reading = engine.recognize({ kind: 'image', bytes: page, contentType: 'image/png' }, controller.signal);
    await new Promise((r) => setTimeout(r, 500));
    controller.abort();
    await expect(reading).rejects.toMatchObject({ code: 'timeout' });
    expect(engine.startedWorkers).toBe(1);
    const next = await extractor.extract(input(textImagePng(['RECEIPT 43']), 'image/png'));
    expect(letters(next.pages[0].text)).toContain('RECEIPT43');
  });

  it('never runs more pages at once than its workers', async () => {
    const names = ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA', 'ECHO'];
    const pages = names.map((name) => textImagePng([`PAGE ${name} 2024`]));
    const results = await Promise.all(pages.map((png) => extractor.extract(input(png, 'image/png'))));
    expect(results.map((r) => letters(r.pages[0].text))).toEqual(names.map((name) => `PAGE${name}2024`));
    expect(engine.startedWorkers).toBeLessThanOrEqual(2);
  });
});

describeWithCorpus('local OCR (PaddleOCR) on the corpus', () => {
  const read = (file: string, contentType: string) =>
    extractor.extract(input(new Uint8Array(readFileSync(join(CORPUS_DIR, file))), contentType, 170_000));

  it('reads the faint receipt tesseract read as nothing (receipt/rcp_sroie_600.jpg)', async () => {
    const text = letters((await read('receipt/rcp_sroie_600.jpg', 'image/jpeg')).pages[0].text);
    expect(text).toContain('MEGAHRETAIL');
    expect(text).toContain('TAXINVOICE');
    expect(text).toContain('4.70');
  });

  it('reads the ID card over a busy background (id_document/id_us_green_card.png)', async () => {
    const text = letters((await read('id_document/id_us_green_card.png', 'image/png')).pages[0].text);
    expect(text).toContain('PERMANENTRESIDENT');
    expect(text).toContain('SMITH');
  });

  it('reads a scanned till receipt (receipt/rcp_sroie_005.jpg)', async () => {
    const text = letters((await read('receipt/rcp_sroie_005.jpg', 'image/jpeg')).pages[0].text);
    expect(text).toContain('TOTAL');
    expect(text).toContain('31.00');
  });
});
