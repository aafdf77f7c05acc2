import type { Worker } from 'node:worker_threads';
import { DocumentError } from '../../src/common/document-error';
import { DEFAULT_SANDBOX_LIMITS, PdfSandbox, type PdfSandboxLimits } from '../../src/ocr/pdf/pdf-sandbox';
import { PdfThreadPool } from '../../src/ocr/pdf/pdf-thread-pool';
import { buildExtractor } from '../support/ocr-extractor.builder';
import { inflatingPdf, textPdf } from '../support/ocr-fixtures';

jest.setTimeout(60_000);

const limits: PdfSandboxLimits = { maxImagePixels: 40_000_000, ...DEFAULT_SANDBOX_LIMITS, externalMemoryLimitMb: 64 };
const threadOf = (sandbox: PdfSandbox) => (sandbox as unknown as { worker: Worker }).worker.threadId;
const signal = () => AbortSignal.timeout(30_000);

/** Opens a PDF for an owner, reads page 1 and closes it; the thread the sandbox used and the text. */
async function read(pool: PdfThreadPool, owner: string, pdf: Uint8Array): Promise<{ thread: number; text: string }> {
  const sandbox = await PdfSandbox.open(pdf, limits, signal(), { pool, owner });
  try {
    return { thread: threadOf(sandbox), text: await sandbox.text(1) };
  } finally {
    await sandbox.close();
  }
}

describe('PdfThreadPool: warm PDF threads, one owner at a time', () => {
  let first: Uint8Array;
  let second: Uint8Array;
  beforeAll(async () => {
    first = await textPdf(['The first tenant document about an electricity invoice']);
    second = await textPdf(['A second document, a bank statement for March']);
  });

  it("reads the same owner's next PDF in the warm thread, with nothing of the document before", async () => {
    const pool = new PdfThreadPool();
    try {
      const a = await read(pool, 'acme', first);
      expect(pool.idleCount).toBe(1);
      const b = await read(pool, 'acme', second);
      expect(b.thread).toBe(a.thread);
      expect(a.text).toContain('electricity invoice');
      expect(b.text).toContain('bank statement');
      expect(b.text).not.toContain('electricity');
    } finally {
      await pool.close();
    }
  });

  it('never hands a thread to another owner', async () => {
    const pool = new PdfThreadPool();
    try {
      const a = await read(pool, 'acme', first);
      const b = await read(pool, 'globex', second);
      expect(b.thread).not.toBe(a.thread);
      expect(pool.idleCount).toBe(2);
      // Each owner still finds its own.
      expect((await read(pool, 'acme', second)).thread).toBe(a.thread);
      expect((await read(pool, 'globex', first)).thread).toBe(b.thread);
    } finally {
      await pool.close();
    }
  });

  it('keeps a thread that reported a damaged PDF, and it reads the next one', async () => {
    const pool = new PdfThreadPool();
    try {
      const a = await read(pool, 'acme', first);
      const damaged = new TextEncoder().encode('%PDF-1.7\nthis is not a PDF body at all\n%%EOF');
      await expect(PdfSandbox.open(damaged, limits, signal(), { pool, owner: 'acme' })).rejects.toMatchObject({
        code: 'corrupt_pdf',
      });
      const b = await read(pool, 'acme', second);
      expect(b.thread).toBe(a.thread);
      expect(b.text).toContain('bank statement');
    } finally {
      await pool.close();
    }
  });

  it('does not take back a thread whose document was aborted or blew its memory budget', async () => {
    const pool = new PdfThreadPool();
    try {
      const a = await read(pool, 'acme', first);
      const aborted = new AbortController();
      const sandbox = await PdfSandbox.open(first, limits, aborted.signal, { pool, owner: 'acme' });
      expect(threadOf(sandbox)).toBe(a.thread);
      aborted.abort(new DocumentError('timeout', 'gave up'));
      await sandbox.close();
      expect(pool.idleCount).toBe(0);

      const hog = await PdfSandbox.open(await inflatingPdf(400), limits, signal(), { pool, owner: 'acme' });
      await expect(hog.text(1)).rejects.toMatchObject({ code: 'resource_limit' });
      await hog.close();
      expect(pool.idleCount).toBe(0);

      // The owner's next document gets a fresh thread, and reads.
      const next = await read(pool, 'acme', second);
      expect(next.thread).not.toBe(a.thread);
      expect(next.text).toContain('bank statement');
    } finally {
      await pool.close();
    }
  });

  it('retires a thread after its share of documents, the longest idle past the cap, and any idle too long', async () => {
    const pool = new PdfThreadPool({ maxIdle: 1, maxUses: 2, idleMs: 300 });
    try {
      const a = await read(pool, 'acme', first);
      expect((await read(pool, 'acme', first)).thread).toBe(a.thread);
      // Two documents read: retired instead of kept.
      expect(pool.idleCount).toBe(0);
      expect((await read(pool, 'acme', first)).thread).not.toBe(a.thread);

      const globex = await read(pool, 'globex', first);
      // One idle thread at most: acme's (idle longest) went.
      expect(pool.idleCount).toBe(1);
      expect((await read(pool, 'globex', second)).thread).toBe(globex.thread);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(pool.idleCount).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('drops an idle thread that stops, and never hands it out', async () => {
    const pool = new PdfThreadPool();
    try {
      const sandbox = await PdfSandbox.open(first, limits, signal(), { pool, owner: 'acme' });
      const worker = (sandbox as unknown as { worker: Worker }).worker;
      await sandbox.close();
      expect(pool.idleCount).toBe(1);
      await worker.terminate();
      expect(pool.idleCount).toBe(0);
      expect(pool.take('acme')).toBeNull();
      const next = await read(pool, 'acme', second);
      expect(next.text).toContain('bank statement');
    } finally {
      await pool.close();
    }
  });

  it('stops its idle threads on close, and a thread given back after', async () => {
    const pool = new PdfThreadPool();
    await read(pool, 'acme', first);
    const late = await PdfSandbox.open(second, limits, signal(), { pool, owner: 'acme' });
    const worker = (late as unknown as { worker: Worker }).worker;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await pool.close();
    expect(pool.idleCount).toBe(0);
    await late.close();
    await exited;
    expect(pool.idleCount).toBe(0);
  });

  it('is used by the extractor for a document with an owner, and not for one without', async () => {
    const pool = new PdfThreadPool();
    const extractor = buildExtractor(null, {}, pool);
    try {
      const owned = await extractor.extract({
        bytes: first,
        contentType: 'application/pdf',
        filename: 'a.pdf',
        owner: 'acme',
        signal: signal(),
      });
      expect(owned.pages[0].text).toContain('electricity invoice');
      expect(pool.idleCount).toBe(1);
      await extractor.extract({ bytes: second, contentType: 'application/pdf', filename: 'b.pdf', signal: signal() });
      expect(pool.idleCount).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
