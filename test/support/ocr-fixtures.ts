import { createCanvas } from '@napi-rs/canvas';
import sharp from 'sharp';
import { deflateSync, constants as zlib } from 'node:zlib';
import { PDFDocument, PDFName, StandardFonts } from 'pdf-lib';

/** A PNG of black text lines on white, large enough for OCR to read without doubt. */
export function textImagePng(lines: string[], width = 1400, lineHeight = 110): Uint8Array {
  const canvas = createCanvas(width, lineHeight * (lines.length + 1));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000000';
  ctx.font = 'bold 64px sans-serif';
  lines.forEach((line, i) => ctx.fillText(line, 60, lineHeight * (i + 1)));
  return new Uint8Array(canvas.toBuffer('image/png'));
}

/** A PDF whose pages carry the given text in a real text layer. */
export async function textPdf(pages: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of pages) {
    const page = doc.addPage([595, 842]);
    text.split('\n').forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 20, size: 12, font }));
  }
  return doc.save();
}

/** Page 1 with a text layer, page 2 an image of text only (what a scanner produces). */
export async function mixedPdf(layerText: string, scannedLines: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText(layerText, { x: 50, y: 780, size: 12, font });
  const png = await doc.embedPng(textImagePng(scannedLines));
  const scanned = doc.addPage([595, 842]);
  const width = 495;
  const height = (png.height / png.width) * width;
  scanned.drawImage(png, { x: 50, y: 842 - 60 - height, width, height });
  return doc.save();
}

/** A PDF of `n` pages that are images only (no text layer), as a scanner makes them. */
export async function scannedPdf(n: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < n; i++) {
    const png = await doc.embedPng(textImagePng([`SCANNED ${i + 1}`]));
    doc.addPage([595, 842]).drawImage(png, { x: 50, y: 600, width: 495, height: 106 });
  }
  return doc.save();
}

/**
 * A one-page PDF whose content stream inflates to `megabytes` MB of spaces: small on disk, and
 * a reader that parses the page must hold the inflated stream in memory.
 */
export async function inflatingPdf(megabytes: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const spaces = Buffer.alloc(megabytes * 1024 * 1024, 0x20);
  const stream = doc.context.stream(deflateSync(spaces, { level: zlib.Z_BEST_COMPRESSION }), { Filter: 'FlateDecode' });
  page.node.set(PDFName.of('Contents'), doc.context.register(stream));
  return doc.save();
}

/** Text lines drawn in `ink` on a fully transparent canvas (a logo or a dark-theme export). */
export function transparentTextPng(lines: string[], ink: string, width = 1400, lineHeight = 110): Uint8Array {
  const canvas = createCanvas(width, lineHeight * (lines.length + 1));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = ink;
  ctx.font = 'bold 64px sans-serif';
  lines.forEach((line, i) => ctx.fillText(line, 60, lineHeight * (i + 1)));
  return new Uint8Array(canvas.toBuffer('image/png'));
}

/**
 * A phone photo of a faded till receipt lying on a dark table: pale grey print (#a0a0a0) on
 * greyish paper, the table black around it, saved as JPEG. A global threshold falls between the
 * table and the paper, so the print turns white with the paper (what rcp_sroie_600 suffered).
 */
export async function fadedReceiptPhotoJpeg(lines: string[]): Promise<Uint8Array> {
  const canvas = createCanvas(1400, 1800);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#1a1a1a';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#d8d8d0';
  ctx.fillRect(120, 100, 1160, 1600);
  ctx.fillStyle = '#a0a0a0';
  ctx.font = '40px monospace';
  lines.forEach((line, i) => ctx.fillText(line, 200, 250 + i * 80));
  return new Uint8Array(await sharp(canvas.toBuffer('image/png')).jpeg({ quality: 80 }).toBuffer());
}

/** A PNG of text at a small size (`px` pixel font), as in a low-resolution scan of fine print. */
export function smallTextPng(lines: string[], px = 8): Uint8Array {
  const lineHeight = Math.round(px * 1.6);
  const canvas = createCanvas(Math.round(px * 34), lineHeight * (lines.length + 1));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000000';
  ctx.font = `${px}px sans-serif`;
  lines.forEach((line, i) => ctx.fillText(line, px, lineHeight * (i + 1)));
  return new Uint8Array(canvas.toBuffer('image/png'));
}

/** An empty white page image: nothing to read. */
export function blankPng(width = 1200, height = 1600): Promise<Uint8Array> {
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer()
    .then((png) => new Uint8Array(png));
}

/** What a browser prints above and below a page: date, tab title, URL, page counter. */
export const BROWSER_PRINT_HEADER = '7/8/2021 Gallery';
export const BROWSER_PRINT_FOOTER = 'chrome://media-app 1/1';

/**
 * A browser's print of a scanned page (a photo opened in a tab, printed to PDF): the text layer
 * holds only the print header and footer, and the page itself is one large image of `lines`.
 */
export async function browserPrintPdf(lines: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([612, 792]);
  page.drawText(BROWSER_PRINT_HEADER, { x: 24, y: 775, size: 8, font });
  page.drawText(BROWSER_PRINT_FOOTER, { x: 24, y: 10, size: 8, font });
  const png = await doc.embedPng(scannedPagePng(lines));
  page.drawImage(png, { x: 26, y: 30, width: 560, height: 730 });
  return doc.save();
}

/** A letter-size page at 150 DPI, as a scanner makes it: the lines at the top, the rest paper. */
export function scannedPagePng(lines: string[]): Uint8Array {
  const canvas = createCanvas(1275, 1650);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#f4f4f0';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#111111';
  ctx.font = 'bold 56px sans-serif';
  lines.forEach((line, i) => ctx.fillText(line, 80, 160 + i * 100));
  return new Uint8Array(canvas.toBuffer('image/png'));
}

/** One page with a real text layer of `text` and a photo-sized image beside it (a brochure). */
export async function textWithPicturePdf(text: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([612, 792]);
  text.split('\n').forEach((line, i) => page.drawText(line, { x: 40, y: 760 - i * 14, size: 10, font }));
  const png = await doc.embedPng(await blankPng(800, 600));
  page.drawImage(png, { x: 40, y: 40, width: 532, height: 400 });
  return doc.save();
}
