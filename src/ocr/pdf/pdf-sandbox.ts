import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DocumentError } from '../../common/document-error';
import { abortError } from '../../common/abort';
import type { PdfThreadPool } from './pdf-thread-pool';
import type {
  PdfImagesResult,
  PdfOpenResult,
  PdfRenderResult,
  PdfSplitResult,
  PdfTextResult,
  PdfWorkerOptions,
  PdfWorkerRequest,
  PdfWorkerResponse,
} from './pdf-worker.protocol';

export interface PdfSandboxLimits {
  maxImagePixels: number;
  /** V8 heap of the worker thread. */
  heapLimitMb: number;
  /**
   * Off-heap budget of this sandbox: pdf.js inflates streams into ArrayBuffers outside the V8
   * heap, which resourceLimits cannot see. The worker's own heap statistics count them
   * (external_memory), so the watchdog stops exactly the sandbox that overspends, even with
   * several files in flight. Canvas pixels (native) are bounded beforehand by the pixel caps.
   */
  externalMemoryLimitMb: number;
}

export const DEFAULT_SANDBOX_LIMITS: Omit<PdfSandboxLimits, 'maxImagePixels'> = {
  heapLimitMb: 512,
  externalMemoryLimitMb: 1024,
};

// Same basename, same extension as this file: .ts under ts-jest (type-stripped by Node), .js in dist/.
const WORKER_FILE = join(__dirname, `pdf.worker${extname(__filename)}`);
const WATCH_INTERVAL_MS = 50;

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void };

/** A pool of warm threads and whose document this is: a thread is reused only for the same owner. */
export interface PdfThreadReuse {
  pool: PdfThreadPool;
  owner: string;
}

/**
 * What a thread may still hold after its document is dropped and be reused: pdf.js itself takes
 * about 19 MB of heap and 8 MB outside it; much more means the last document left something behind.
 */
const REUSABLE_HEAP_BYTES = 96 * 1024 * 1024;
const REUSABLE_EXTERNAL_BYTES = 32 * 1024 * 1024;
const RELEASE_TIMEOUT_MS = 1_000;

/**
 * One PDF opened in a worker thread of its own. Every call rejects with a DocumentError. close()
 * hands a healthy thread back to its pool for the same owner's next document (or, without a
 * pool, terminates it); an abort, a crash or a blown memory budget terminates the thread and
 * frees all its memory.
 */
export class PdfSandbox {
  /** Pages the document declares (pdf.js counts the page tree, it does not trust /Count). */
  pageCount = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure?: DocumentError;
  private checking = false;
  private readonly watchdog: NodeJS.Timeout;
  private readonly onAbort = () => this.fail(abortError(this.signal));
  private readonly onMessage = (response: PdfWorkerResponse) => this.settle(response);
  private readonly onError = (error: Error & { code?: string }) =>
    this.fail(
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new DocumentError('resource_limit', `The PDF needs more than ${this.limits.heapLimitMb} MB of heap to read`)
        : new DocumentError('corrupt_pdf', `The PDF reader crashed: ${error.message}`),
    );
  private readonly onExit = () => this.fail(new DocumentError('corrupt_pdf', 'The PDF reader stopped unexpectedly'));

  private constructor(
    private readonly worker: Worker,
    private readonly signal: AbortSignal,
    private readonly limits: PdfSandboxLimits,
    private readonly reuse: (PdfThreadReuse & { uses: number }) | undefined,
  ) {
    this.watchdog = setInterval(() => void this.checkMemory(limits), WATCH_INTERVAL_MS);
    this.watchdog.unref();
    signal.addEventListener('abort', this.onAbort, { once: true });
    worker.on('message', this.onMessage);
    worker.on('error', this.onError);
    worker.on('exit', this.onExit);
  }

  /**
   * Opens the document in a warm thread of the owner's (with `reuse`) or a new one; throws
   * encrypted_pdf / corrupt_pdf / timeout.
   */
  static async open(
    bytes: Uint8Array,
    limits: PdfSandboxLimits,
    signal: AbortSignal,
    reuse?: PdfThreadReuse,
  ): Promise<PdfSandbox> {
    if (signal.aborted) throw abortError(signal);
    const warm = reuse?.pool.take(reuse.owner);
    const worker = warm?.worker ?? startThread(limits);
    const sandbox = new PdfSandbox(worker, signal, limits, reuse && { ...reuse, uses: warm?.uses ?? 0 });
    try {
      // A copy the sandbox owns and may transfer: Buffer#slice shares memory, and a Buffer from
      // Node's pool (any small one) cannot be transferred at all.
      sandbox.pageCount = (await sandbox.call<PdfOpenResult>({ op: 'open', bytes: new Uint8Array(bytes) })).pageCount;
      return sandbox;
    } catch (error) {
      await sandbox.close();
      throw error;
    }
  }

  async text(page: number): Promise<string> {
    return (await this.call<PdfTextResult>({ op: 'text', page })).text;
  }

  render(page: number, dpi: number, maxPixels: number): Promise<PdfRenderResult> {
    return this.call<PdfRenderResult>({ op: 'render', page, dpi, maxPixels });
  }

  /** Share of the page (0..1) its largest image covers: a scan under a thin text layer shows here. */
  async largestImageShare(page: number): Promise<number> {
    return (await this.call<PdfImagesResult>({ op: 'images', page })).largestImageShare;
  }

  /** The given pages (1-based, in this order) as a standalone PDF, for OCR services that take PDFs. */
  async split(pages: number[]): Promise<Uint8Array> {
    return (await this.call<PdfSplitResult>({ op: 'split', pages })).pdf;
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    this.signal.removeEventListener('abort', this.onAbort);
    if (this.reuse && !this.failure && (await this.handBack(this.reuse))) return;
    this.failure ??= new DocumentError('corrupt_pdf', 'The PDF reader was closed');
    this.rejectAll(this.failure);
    this.worker.off('exit', this.onExit);
    await this.worker.terminate();
  }

  /** Drops the document in the thread and gives the thread back, if it kept nothing behind. */
  private async handBack(reuse: PdfThreadReuse & { uses: number }): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // A thread that cannot drop its document promptly is not worth keeping: close() must not hang.
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('release timed out')), RELEASE_TIMEOUT_MS);
      });
      await Promise.race([this.call({ op: 'release' }), late]);
      const stats = await Promise.race([this.worker.getHeapStatistics(), late]);
      if (stats.used_heap_size > REUSABLE_HEAP_BYTES || stats.external_memory > REUSABLE_EXTERNAL_BYTES) return false;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
    if (this.failure) return false;
    // This sandbox is done; its thread is the pool's now.
    this.failure = new DocumentError('corrupt_pdf', 'The PDF reader was closed');
    this.worker.off('message', this.onMessage);
    this.worker.off('error', this.onError);
    this.worker.off('exit', this.onExit);
    reuse.pool.give(reuse.owner, this.worker, reuse.uses + 1);
    return true;
  }

  /**
   * Per-thread, not process RSS: with two files in flight a process-wide figure cannot tell which
   * one to stop. The answer comes from the worker's isolate (an interrupt, so a thread busy in JS
   * parsing still answers); a thread stuck in native code is left to the per-file time limit.
   */
  private async checkMemory(limits: PdfSandboxLimits): Promise<void> {
    if (this.checking || this.failure) return;
    this.checking = true;
    try {
      const stats = await this.worker.getHeapStatistics();
      if (stats.external_memory > limits.externalMemoryLimitMb * 1024 * 1024) {
        this.fail(
          new DocumentError(
            'resource_limit',
            `The PDF needs more than ${limits.externalMemoryLimitMb} MB of memory to read; processing was stopped`,
          ),
        );
      }
    } catch {
      // The worker has just exited: its own exit or error handler reports that.
    } finally {
      this.checking = false;
    }
  }

  private call<T>(request: DistributiveOmit<PdfWorkerRequest, 'id'>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const transfer = request.op === 'open' ? [request.bytes.buffer as ArrayBuffer] : [];
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  private settle(response: PdfWorkerResponse): void {
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    if (response.ok) pending.resolve(response.value);
    else pending.reject(toDocumentError(response.error));
  }

  private fail(error: DocumentError): void {
    if (this.failure) return;
    this.failure = error;
    clearInterval(this.watchdog);
    this.rejectAll(error);
    // Stops a thread stuck in synchronous parsing; its memory goes with it.
    void this.worker.terminate();
  }

  private rejectAll(error: DocumentError): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function startThread(limits: PdfSandboxLimits): Worker {
  const workerData: PdfWorkerOptions = { maxImagePixels: limits.maxImagePixels };
  const worker = new Worker(WORKER_FILE, {
    workerData,
    resourceLimits: { maxOldGenerationSizeMb: limits.heapLimitMb, maxYoungGenerationSizeMb: 32 },
    stdout: true,
    stderr: true,
  });
  // Drained and dropped: pdf.js warnings about broken files are noise, not our log.
  worker.stdout.resume();
  worker.stderr.resume();
  return worker;
}

/** pdf.js reports its failures by exception name. */
function toDocumentError(error: { name: string; message: string }): DocumentError {
  switch (error.name) {
    case 'PasswordException':
      return new DocumentError(
        'encrypted_pdf',
        'The PDF is password-protected; remove the password and upload it again',
      );
    case 'InvalidPDFException':
    case 'FormatError':
    case 'MissingPDFException':
    case 'UnknownErrorException':
      return new DocumentError('corrupt_pdf', `The PDF is damaged or not a PDF: ${error.message}`);
    case 'EncryptedPDFError':
      // pdf-lib refuses encrypted files that pdf.js could open (owner password only).
      return new DocumentError('encrypted_pdf', 'The PDF is encrypted and its pages cannot be split for OCR');
    default:
      return new DocumentError('corrupt_pdf', `The PDF could not be read: ${error.message}`);
  }
}
