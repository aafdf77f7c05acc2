import sharp from 'sharp';
import { ImageNormalizer } from '../../src/ocr/image.normalizer';
import { contentChars, textLayerCoversPage, withoutPrintBoilerplate } from '../../src/ocr/text-layer.coverage';
import { buildExtractor, input } from '../support/ocr-extractor.builder';
import {
  BROWSER_PRINT_FOOTER,
  BROWSER_PRINT_HEADER,
  blankPng,
  browserPrintPdf,
  textPdf,
  textWithPicturePdf,
  transparentTextPng,
} from '../support/ocr-fixtures';
import { RecordingOcrEngine } from '../support/ocr-recording.engine';

jest.setTimeout(30_000);

describe('text layer coverage', () => {
  it('sees nothing but print boilerplate in a browser header and footer', () => {
    const layer = `${BROWSER_PRINT_HEADER}\n${BROWSER_PRINT_FOOTER}`;
    expect(withoutPrintBoilerplate(layer).trim()).toBe('Gallery');
    expect(contentChars(layer)).toBe(7);
    expect(contentChars('Page 3 of 12  https://example.com/a?b=c  12:41 PM  2021-07-08')).toBe(0);
  });

  it('trusts a thin layer on a page without a large image, and a full layer over an image', () => {
    expect(textLayerCoversPage('Gallery chrome://media-app 1/1', 0.1)).toBe(true);
    expect(textLayerCoversPage('Gallery chrome://media-app 1/1', 0.9)).toBe(false);
    expect(textLayerCoversPage('word '.repeat(60), 0.9)).toBe(true);
  });
});

describe('DocumentTextExtractor and text layers that lie', () => {
  it('OCRs a page whose only text is a print header over a large image, and keeps the better reading', async () => {
    const ocr = new RecordingOcrEngine('image', 'DRIVER LICENSE CLASS C JOHN SAMPLE 4 Main Street Springfield');
    const result = await buildExtractor(ocr).extract(input(await browserPrintPdf(['LICENSE']), 'application/pdf'));
    expect(ocr.calls).toHaveLength(1);
    expect(result.pages[0]).toMatchObject({ source: 'tesseract', text: expect.stringContaining('JOHN SAMPLE') });
  });

  it('keeps the text layer when the OCR of the image reads less than it', async () => {
    const ocr = new RecordingOcrEngine('image', 'x');
    const result = await buildExtractor(ocr).extract(input(await browserPrintPdf(['LICENSE']), 'application/pdf'));
    expect(ocr.calls).toHaveLength(1);
    expect(result.pages[0]).toMatchObject({ source: 'text-layer', text: expect.stringContaining('Gallery') });
    expect(result.warnings).toEqual([]);
  });

  it('does not OCR a page whose text layer is long, image or not', async () => {
    const ocr = new RecordingOcrEngine();
    const text = Array.from({ length: 12 }, (_, i) => `Line ${i} of a brochure about the new product range`).join('\n');
    const result = await buildExtractor(ocr).extract(input(await textWithPicturePdf(text), 'application/pdf'));
    expect(ocr.calls).toHaveLength(0);
    expect(result.pages[0].source).toBe('text-layer');
  });

  it('does not OCR a short text page that carries no image', async () => {
    const ocr = new RecordingOcrEngine();
    const result = await buildExtractor(ocr).extract(
      input(await textPdf(['Memo: meeting moved to 3 pm']), 'application/pdf'),
    );
    expect(ocr.calls).toHaveLength(0);
    expect(result.pages[0]).toMatchObject({ source: 'text-layer', text: expect.stringContaining('Memo') });
  });

  it('with OCR off keeps the header-only layer (there is nothing else to read it with)', async () => {
    const result = await buildExtractor(null).extract(input(await browserPrintPdf(['LICENSE']), 'application/pdf'));
    expect(result.pages[0].source).toBe('text-layer');
  });
});

describe('no usable text warnings', () => {
  it.each([
    ['', 'page 1: OCR read no text (blank or unreadable image)'],
    ['~ ;; |', 'page 1: OCR read no usable text (4 characters, none of them words: blurred, tiny or damaged image?)'],
  ])('warns when OCR reads %j from an image', async (answer, warning) => {
    const ocr = new RecordingOcrEngine('image', answer);
    const result = await buildExtractor(ocr).extract(input(await blankPng(), 'image/png'));
    expect(result.warnings).toEqual([warning]);
  });

  it('names the scanned PDF page that read as nothing', async () => {
    const ocr = new RecordingOcrEngine('image', '');
    const result = await buildExtractor(ocr).extract(input(await browserPrintPdf([]), 'application/pdf'));
    // The OCR read nothing, so the header layer is kept: no page lost its text.
    expect(result.pages[0].source).toBe('text-layer');
    expect(result.warnings).toEqual([
      "page 1: OCR read no text from the page's image (blank or unreadable); its thin text layer was kept",
    ]);
    const scan = await buildExtractor(ocr).extract(input(await blankPdfPage(), 'application/pdf'));
    expect(scan.warnings).toEqual(['page 1: OCR read no text (blank or unreadable image)']);
  });

  it('says nothing about a page that read fine', async () => {
    const ocr = new RecordingOcrEngine('image', 'Invoice 4711 total due 250 EUR');
    const result = await buildExtractor(ocr).extract(input(await blankPng(), 'image/png'));
    expect(result.warnings).toEqual([]);
  });
});

describe('ImageNormalizer and transparency', () => {
  const normalizer = new ImageNormalizer({ maxImagePixels: 40_000_000, maxOcrPixels: 9_000_000, minLongSide: 1500 });
  const inkAndPaper = async (png: Uint8Array) => {
    const { data } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
    let dark = 0;
    for (const v of data) if (v < 100) dark++;
    const { channels } = await sharp(png).stats();
    return { darkShare: dark / data.length, mean: channels[0].mean };
  };

  it.each([
    ['white', '#ffffff'],
    ['black', '#000000'],
  ])('turns %s text on a transparent background into dark text on a light page', async (_, ink) => {
    const { png } = await normalizer.page(transparentTextPng(['SOME TEXT 42'], ink), 0);
    const { darkShare, mean } = await inkAndPaper(png);
    expect(mean).toBeGreaterThan(200);
    expect(darkShare).toBeGreaterThan(0.01);
    expect(darkShare).toBeLessThan(0.3);
  });
});

async function blankPdfPage(): Promise<Uint8Array> {
  const { PDFDocument } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const png = await doc.embedPng(await blankPng(600, 800));
  doc.addPage([612, 792]).drawImage(png, { x: 0, y: 0, width: 612, height: 792 });
  return doc.save();
}
