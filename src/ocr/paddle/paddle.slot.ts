import { ChildProcess, fork } from 'node:child_process';
import { extname, join } from 'node:path';
import type { PaddleLine, PaddleWorkerOptions, PaddleWorkerResponse } from './paddle-worker.protocol';

// Same basename, same extension as this file: .ts under ts-jest (type-stripped by Node), .js in dist/.
const WORKER_FILE = join(__dirname, `paddle.worker${extname(__filename)}`);

/**
 * One place of the PaddleOCR pool: a child process holding the ONNX sessions (paddle.worker says
 * why a process and not a thread). A slot whose process dies, or that is killed to stop a page in
 * progress, is no longer `usable`: its pending read rejects at once and the pool replaces it.
 */
export class PaddleSlot {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (lines: PaddleLine[]) => void; reject: (e: Error) => void }>();
  private deathCause?: Error;

  private constructor(private readonly worker: ChildProcess) {
    worker.on('message', (response: PaddleWorkerResponse) => this.settle(response));
    worker.on('error', (error) => this.die(new Error(`the OCR process failed: ${error.message}`)));
    worker.on('exit', (code, signal) => this.die(new Error(`the OCR process exited (${signal ?? `code ${code}`})`)));
  }

  /** Starts the process and waits until its models are loaded. */
  static async start(options: PaddleWorkerOptions, heapLimitMb: number): Promise<PaddleSlot> {
    const worker = fork(WORKER_FILE, [JSON.stringify(options)], {
      // Only the heap bound: not the parent's flags (a test runner's, an inspector's).
      execArgv: [`--max-old-space-size=${heapLimitMb}`],
      // Typed arrays cross as bytes, not as JSON arrays of numbers.
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // onnxruntime and opencv print to the console; not our log.
    worker.stdout?.resume();
    worker.stderr?.resume();
    const slot = new PaddleSlot(worker);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (response: PaddleWorkerResponse) => {
        if (response.id !== 0 || !('ready' in response)) return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        if (response.ready) resolve();
        else reject(new Error(response.error));
      };
      const onExit = (code: number | null) => reject(new Error(`the OCR process exited while starting (code ${code})`));
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
      this.worker.send({ id, op: 'read', png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) }, (error) => {
        if (error) this.die(new Error(`the OCR process could not be reached: ${error.message}`));
      });
    });
  }

  /** Stops the page in progress: native inference cannot be interrupted, so the process goes. */
  kill(cause: Error): void {
    this.die(cause);
    this.worker.kill('SIGKILL');
  }

  async terminate(): Promise<void> {
    this.die(new Error('the OCR slot was terminated'));
    if (this.worker.exitCode !== null || this.worker.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.kill('SIGKILL');
    await exited;
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
