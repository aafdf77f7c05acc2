import sharp from 'sharp';
import { DEFAULT_SANDBOX_LIMITS } from '../../src/ocr/pdf/pdf-sandbox';
import { PageImageRenderer } from '../../src/ocr/page-image.renderer';
import { PdfThreadPool } from '../../src/ocr/pdf/pdf-thread-pool';
import { pngSize } from '../../src/classifier/vision-pages';
import { textImagePng, textPdf } from '../support/ocr-fixtures';

const MAX_PIXELS = 400_000;
const renderer = new PageImageRenderer({
  maxPixels: MAX_PIXELS,
  renderDpi: 150,
  pdf: { maxImagePixels: 50_000_000, ...DEFAULT_SANDBOX_LIMITS },
});
const signal = () => new AbortController().signal;

describe('PageImageRenderer', () => {
  it('scales an image down to the pixel budget, keeping its shape, as PNG', async () => {
    const image = textImagePng(['RECEIPT', 'TOTAL 12.00'], 1400, 110);
    const [page] = await renderer.render({ bytes: image, contentType: 'image/png' }, [1], signal());
    const size = pngSize(page.png)!;
    const original = (await sharp(image).metadata()) as { width: number; height: number };
    expect(page.number).toBe(1);
    expect(size.width * size.height).toBeLessThanOrEqual(MAX_PIXELS);
    expect(size.width / size.height).toBeCloseTo(original.width / original.height, 1);
  });

  it('puts transparent areas on white', async () => {
    const transparent = await sharp({
      create: { width: 50, height: 50, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const [page] = await renderer.render(
      { bytes: new Uint8Array(transparent), contentType: 'image/png' },
      [1],
      signal(),
    );
    const { data } = await sharp(page.png).raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  it('rasterises the PDF pages asked for, in page order, and leaves out pages that do not exist', async () => {
    const pdf = await textPdf(['first page', 'second page', 'third page']);
    const pages = await renderer.render({ bytes: pdf, contentType: 'application/pdf' }, [3, 9, 1], signal());
    expect(pages.map((p) => p.number)).toEqual([1, 3]);
    for (const p of pages) {
      const size = pngSize(p.png)!;
      expect(size.width * size.height).toBeLessThanOrEqual(MAX_PIXELS);
      expect(size.width).toBeGreaterThan(100);
    }
  });

  it("renders a PDF in the owner's warm thread when it has a pool, and the same pages as in a fresh one", async () => {
    const pool = new PdfThreadPool();
    const pooled = new PageImageRenderer(
      { maxPixels: MAX_PIXELS, renderDpi: 150, pdf: { maxImagePixels: 50_000_000, ...DEFAULT_SANDBOX_LIMITS } },
      pool,
    );
    try {
      const pdf = await textPdf(['first page', 'second page']);
      const fresh = await renderer.render({ bytes: pdf, contentType: 'application/pdf' }, [1, 2], signal());
      const source = { bytes: pdf, contentType: 'application/pdf', owner: 'acme' };
      const warm = await pooled.render(source, [1, 2], signal());
      expect(pool.idleCount).toBe(1);
      const again = await pooled.render(source, [1, 2], signal());
      expect(pool.idleCount).toBe(1);
      for (const pages of [warm, again]) {
        expect(pages.map((p) => Buffer.from(p.png).equals(Buffer.from(fresh[p.number - 1].png)))).toEqual([true, true]);
      }
      await pooled.render({ bytes: pdf, contentType: 'application/pdf' }, [1], signal());
      expect(pool.idleCount).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('has nothing to show for plain text', async () => {
    await expect(
      renderer.render({ bytes: new TextEncoder().encode('hello'), contentType: 'text/plain' }, [1], signal()),
    ).resolves.toEqual([]);
  });
});
