import sharp from 'sharp';
import { OcrEngine, OcrPageInput, OcrPageResult } from '../../src/ocr/ocr-engine.port';
import { preparePage, skewSlant } from '../../src/ocr/page-preparation';
import { PreparingOcrEngine } from '../../src/ocr/preparing.ocr-engine';
import { textImagePng } from '../support/ocr-fixtures';

jest.setTimeout(30_000);

const page = () =>
  textImagePng(['QUARTERLY REPORT FOR THE YEAR', 'REVENUE GREW STRONGLY IN ALL', 'REGIONS AND ALL TEAMS OF 2024']);

/** Answers each page with the next reading of its script, recording the images it was given. */
class ScriptedEngine extends OcrEngine {
  readonly source = 'tesseract' as const;
  readonly pdfPageInput = 'image' as const;
  readonly parallelism = 1;
  readonly maxInputBytes = Number.POSITIVE_INFINITY;
  readonly calls: Uint8Array[] = [];

  constructor(private readonly script: OcrPageResult[]) {
    super();
  }

  recognize(input: OcrPageInput): Promise<OcrPageResult> {
    this.calls.push(input.bytes);
    return Promise.resolve(this.script[this.calls.length - 1] ?? { text: '', confidence: 0 });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const good: OcrPageResult = { text: 'Invoice number 4711 total due 250 EUR thank you', confidence: 0.8 };
const settings = {
  first: 'as-is',
  retries: ['deskewed', 'contrast', 'binarised'],
  poor: { minConfidence: 0.45, checkWords: true },
  retryBudgetMs: 10_000,
} as const;
const image = (bytes: Uint8Array): OcrPageInput => ({ kind: 'image', bytes, contentType: 'image/png' });

describe('PreparingOcrEngine', () => {
  it('reads a page once when the first reading is good', async () => {
    const inner = new ScriptedEngine([good]);
    const result = await new PreparingOcrEngine(inner, settings).recognize(image(page()), AbortSignal.timeout(5000));
    expect(result).toEqual(good);
    expect(inner.calls).toHaveLength(1);
  });

  it('retries a page that read as nothing, skips deskewing a level page, and keeps the best reading', async () => {
    const png = page();
    const unsure = { text: 'Invoice numbr 4711 totl due', confidence: 0.3 };
    const inner = new ScriptedEngine([{ text: '', confidence: 0 }, unsure, good]);
    const result = await new PreparingOcrEngine(inner, settings).recognize(image(png), AbortSignal.timeout(5000));
    expect(result).toEqual(good);
    // as-is, contrast, binarised: the level page was not read a second time as "deskewed".
    expect(inner.calls).toHaveLength(3);
    expect(inner.calls[0]).toBe(png);
    expect(inner.calls[1]).not.toBe(png);
  });

  it('starts no retry once the page has used its time budget', async () => {
    const inner = new ScriptedEngine([{ text: '', confidence: 0 }, good]);
    await new PreparingOcrEngine(inner, { ...settings, retryBudgetMs: -1 }).recognize(
      image(page()),
      AbortSignal.timeout(5000),
    );
    expect(inner.calls).toHaveLength(1);
  });

  it('stops retrying once a reading is good', async () => {
    const inner = new ScriptedEngine([{ text: '', confidence: 0 }, good]);
    await new PreparingOcrEngine(inner, settings).recognize(image(page()), AbortSignal.timeout(5000));
    expect(inner.calls).toHaveLength(2);
  });
});

describe('page preparations', () => {
  it.each([0, 3, -5])('measures the slant of a page turned %i degrees', async (degrees) => {
    const turned = await sharp(page()).rotate(degrees, { background: '#ffffff' }).png().toBuffer();
    expect(Math.abs((await skewSlant(turned)) - degrees)).toBeLessThanOrEqual(0.5);
  });

  it('turns a slanted page level and leaves a level one alone', async () => {
    const level = page();
    expect(await preparePage(level, 'deskewed')).toBe(level);
    const slanted = new Uint8Array(await sharp(level).rotate(5, { background: '#ffffff' }).png().toBuffer());
    expect(Math.abs(await skewSlant(await preparePage(slanted, 'deskewed')))).toBeLessThan(1);
  });

  it('stretches a dim, flat page to full contrast and binarises to pure black and white', async () => {
    const dim = await sharp(page()).greyscale().linear(0.3, 60).png().toBuffer();
    const before = (await sharp(dim).stats()).channels[0];
    expect(before.max - before.min).toBeLessThan(90);
    const stretched = (await sharp(await preparePage(dim, 'contrast')).stats()).channels[0];
    expect(stretched.max - stretched.min).toBeGreaterThan(200);
    const { data } = await sharp(await preparePage(dim, 'binarised'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(new Set(data)).toEqual(new Set([0, 255]));
  });
});
