import { createCanvas } from '@napi-rs/canvas';
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
