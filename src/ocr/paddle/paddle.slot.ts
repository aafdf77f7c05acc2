import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PaddleLine, PaddleWorkerOptions, PaddleWorkerResponse } from './paddle-worker.protocol';

// Same basename, same extension as this file: .ts under ts-jest (type-stripped by Node), .js in dist/.
const WORKER_FILE = join(__dirname, `paddle.worker${extname(__filename)}`);

/**
 * One place of the PaddleOCR pool: a worker thread holding the ONNX sessions. A slot whose thread
 * dies, or that is killed to stop a page in progress, is no longer `usable`: its pending read
 * rejects at once and the pool replaces it.
 */
export class PaddleSlot {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (lines: PaddleLine[]) => void; reject: (e: Error) => void }>();
  private deathCause?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (response: PaddleWorkerResponse) => this.settle(response));
    worker.on('error', (error) => this.die(new Error(`the OCR thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.die(new Error(`the OCR thread exited (code ${code})`)));
  }

  /** Starts the thread and waits until its models are loaded. */
  static async start(options: PaddleWorkerOptions, heapLimitMb: number): Promise<PaddleSlot> {
    const worker = new Worker(WORKER_FILE, {
      workerData: options,
      resourceLimits: { maxOldGenerationSizeMb: heapLimitMb },
      stdout: true,
      stderr: true,
    });
    // onnxruntime and opencv print to the console; not our log.
    worker.stdout.resume();
    worker.stderr.resume();
    const slot = new PaddleSlot(worker);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (response: PaddleWorkerResponse) => {
        if (response.id !== 0 || !('ready' in response)) return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        if (response.ready) resolve();
        else reject(new Error(response.error));
      };
      const onExit = (code: number) => reject(new Error(`the OCR thread exited while starting (code ${code})`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    }).catch(async (error: unknown) => {
      await slot.terminate();
      throw error;
    });
    return slot;
  }

  get usable(): boolean {
    return this.deathCause === undefined;
  }

  read(png: Uint8Array): Promise<PaddleLine[]> {
    if (this.deathCause) return Promise.reject(this.deathCause);
    const id = this.nextId++;
    return new Promise<PaddleLine[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A copy the thread owns: the caller's bytes may be a view into a larger buffer.
      const copy = new Uint8Array(png);
      this.worker.postMessage({ id, op: 'read', png: copy }, [copy.buffer]);
    });
  }

  /** Stops the page in progress: native inference cannot be interrupted, so the thread goes. */
  kill(cause: Error): void {
    this.die(cause);
    void this.worker.terminate();
  }

  async terminate(): Promise<void> {
    this.die(new Error('the OCR slot was terminated'));
    await this.worker.terminate();
  }

  private settle(response: PaddleWorkerResponse): void {
    if ('ready' in response) return;
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    if (response.ok) pending.resolve(response.lines);
    else pending.reject(new Error(response.error));
  }

  private die(cause: Error): void {
    this.deathCause ??= cause;
    for (const pending of this.pending.values()) pending.reject(this.deathCause);
    this.pending.clear();
  }
}
