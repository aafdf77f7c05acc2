/** Messages between PaddleSlot (main thread) and paddle.worker (worker thread). Types only. */

export interface PaddleWorkerOptions {
  /** ONNX Runtime intra-op threads of this worker (1: the pool's size is the CPU bound). */
  threads: number;
}

export type PaddleWorkerRequest = { id: number; op: 'read'; png: Uint8Array };

export interface PaddleLine {
  text: string;
  /** Mean character probability 0..1 of the line. */
  confidence: number;
}

export type PaddleWorkerResponse =
  | { id: 0; ready: true }
  | { id: 0; ready: false; error: string }
  | { id: number; ok: true; lines: PaddleLine[] }
  | { id: number; ok: false; error: string };
