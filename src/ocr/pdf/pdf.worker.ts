/**
 * Runs pdf.js (through unpdf) and pdf-lib in a worker thread, so that parsing and rendering a
 * hostile PDF cannot block the main event loop and can be stopped with worker.terminate().
 *
 * Written in erasable-only TypeScript with type-only local imports: under ts-jest Node runs this
 * .ts file directly (type stripping); in dist/ tsc has compiled it to .js next to its caller.
 * No top-level await, so the compiled CommonJS form is valid too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getDocumentProxy, getResolvedPDFJS, renderPageAsImage } from 'unpdf';
import { PDFDocument } from 'pdf-lib';
import type { PdfWorkerOptions, PdfWorkerRequest, PdfWorkerResponse } from './pdf-worker.protocol';

type PdfProxy = Awaited<ReturnType<typeof getDocumentProxy>>;

const options = workerData as PdfWorkerOptions;
let source: Uint8Array | undefined;
let pdf: PdfProxy | undefined;
let splitSource: PDFDocument | undefined;

async function open(bytes: Uint8Array): Promise<{ pageCount: number }> {
  // pdf.js takes ownership of (detaches) the buffer it is given; keep our own copy for pdf-lib.
  source = bytes;
  pdf = await getDocumentProxy(bytes.slice(), {
    maxImageSize: options.maxImagePixels,
    // Same bound for the canvas area, in bytes (RGBA).
    canvasMaxAreaInBytes: options.maxImagePixels * 4,
    stopAtErrors: false,
    verbosity: 0,
    useSystemFonts: false,
  });
  return { pageCount: pdf.numPages };
}

function loaded(): PdfProxy {
  if (!pdf) throw new Error('document not opened');
  return pdf;
}

async function text(pageNumber: number): Promise<{ text: string }> {
  const page = await loaded().getPage(pageNumber);
  const content = await page.getTextContent();
  let out = '';
  for (const item of content.items) {
    if (!('str' in item)) continue;
    out += item.str;
    if (item.hasEOL) out += '\n';
  }
  page.cleanup();
  return { text: out };
}

async function render(
  pageNumber: number,
  dpi: number,
  maxPixels: number,
): Promise<{ png: Uint8Array; width: number; height: number }> {
  const doc = loaded();
  const page = await doc.getPage(pageNumber);
  const base = page.getViewport({ scale: 1 });
  let scale = dpi / 72;
  const pixels = base.width * base.height * scale * scale;
  // A huge MediaBox at 300 DPI would be a rendering bomb of its own: shrink to the pixel budget.
  if (pixels > maxPixels) scale = Math.sqrt(maxPixels / (base.width * base.height));
  const width = Math.max(1, Math.floor(base.width * scale));
  const height = Math.max(1, Math.floor(base.height * scale));
  const png = await renderPageAsImage(doc, pageNumber, {
    canvasImport: () => import('@napi-rs/canvas'),
    scale,
  });
  page.cleanup();
  return { png: new Uint8Array(png), width, height };
}

type Matrix = [number, number, number, number, number, number];

function multiply(m: Matrix, n: number[]): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

/**
 * How much of the page its largest image covers: an image is painted into the unit square under
 * the current transformation, so its area is the determinant of that matrix. Follows save/restore,
 * transforms and form XObjects through the page's operator list (no pixels are decoded).
 */
async function images(pageNumber: number): Promise<{ largestImageShare: number }> {
  const { OPS } = await getResolvedPDFJS();
  const page = await loaded().getPage(pageNumber);
  const view = page.getViewport({ scale: 1 });
  const list = await page.getOperatorList();
  const paints = new Set<number>([
    OPS.paintImageXObject,
    OPS.paintInlineImageXObject,
    OPS.paintImageMaskXObject,
    OPS.paintImageXObjectRepeat,
  ]);
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  const stack: Matrix[] = [];
  let largest = 0;
  list.fnArray.forEach((fn, i) => {
    const args = list.argsArray[i] as unknown[] | null;
    if (fn === OPS.save) stack.push(ctm);
    else if (fn === OPS.restore) ctm = stack.pop() ?? ctm;
    else if (fn === OPS.transform && args) ctm = multiply(ctm, args as number[]);
    else if (fn === OPS.paintFormXObjectBegin) {
      stack.push(ctm);
      const matrix = args?.[0];
      if (Array.isArray(matrix) && matrix.length === 6) ctm = multiply(ctm, matrix as number[]);
    } else if (fn === OPS.paintFormXObjectEnd) ctm = stack.pop() ?? ctm;
    else if (paints.has(fn)) largest = Math.max(largest, Math.abs(ctm[0] * ctm[3] - ctm[1] * ctm[2]));
  });
  page.cleanup();
  const area = view.width * view.height;
  return { largestImageShare: area > 0 ? Math.min(1, largest / area) : 0 };
}

async function split(pageNumbers: number[]): Promise<{ pdf: Uint8Array }> {
  if (!source) throw new Error('document not opened');
  splitSource ??= await PDFDocument.load(source, { updateMetadata: false });
  const subset = await PDFDocument.create();
  const copied = await subset.copyPages(
    splitSource,
    pageNumbers.map((n) => n - 1),
  );
  for (const page of copied) subset.addPage(page);
  return { pdf: await subset.save() };
}

/** Drops the document and everything read from it, so the thread can take its owner's next one. */
async function release(): Promise<Record<string, never>> {
  const doc = pdf;
  pdf = undefined;
  source = undefined;
  splitSource = undefined;
  await doc?.loadingTask.destroy();
  return {};
}

async function handle(request: PdfWorkerRequest): Promise<PdfWorkerResponse> {
  try {
    switch (request.op) {
      case 'open':
        return { id: request.id, ok: true, value: await open(request.bytes) };
      case 'text':
        return { id: request.id, ok: true, value: await text(request.page) };
      case 'render':
        return { id: request.id, ok: true, value: await render(request.page, request.dpi, request.maxPixels) };
      case 'split':
        return { id: request.id, ok: true, value: await split(request.pages) };
      case 'images':
        return { id: request.id, ok: true, value: await images(request.page) };
      case 'release':
        return { id: request.id, ok: true, value: await release() };
    }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    // pdf-lib's errors are ES5-transpiled: named plain 'Error', and instanceof fails on them.
    const name = /^Input document to `PDFDocument.load` is encrypted/.test(e.message) ? 'EncryptedPDFError' : e.name;
    return { id: request.id, ok: false, error: { name, message: e.message } };
  }
}

parentPort?.on('message', (request: PdfWorkerRequest) => {
  void handle(request).then((response) => {
    const transfer: ArrayBuffer[] = [];
    if (response.ok && 'png' in response.value) transfer.push(response.value.png.buffer as ArrayBuffer);
    if (response.ok && 'pdf' in response.value) transfer.push(response.value.pdf.buffer as ArrayBuffer);
    parentPort?.postMessage(response, transfer);
  });
});
