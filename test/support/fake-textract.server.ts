import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { PDFDocument } from 'pdf-lib';
import { FakeS3Buckets } from './ocr-fake-s3';

export interface TextractRequestRecord {
  target: string;
  contentType: string;
  authorization: string;
  documentBytes: Buffer;
  /** The parsed JSON body (Start/Get calls). */
  body: Record<string, unknown>;
}

/** One scripted answer: a page of LINE texts, or an AWS JSON error with its HTTP status. */
export type TextractReply = { lines: string[] } | { status: number; type: string; message: string };

/** How the next asynchronous job behaves. */
export interface AsyncJobPlan {
  /** GetDocumentTextDetection answers IN_PROGRESS this many times first. */
  inProgressPolls: number;
  status: 'SUCCEEDED' | 'FAILED' | 'PARTIAL_SUCCESS';
  /** Blocks per GetDocumentTextDetection answer; more than that continue behind a NextToken. */
  blocksPerResponse: number;
  statusMessage?: string;
}

interface AsyncJob {
  plan: AsyncJobPlan;
  pages: number;
  polls: number;
}

export const FAKE_BUCKET = 'doc-inbox-test';

/**
 * Loopback server speaking Textract's JSON 1.1 protocol (DetectDocumentText, and the
 * asynchronous StartDocumentTextDetection / GetDocumentTextDetection over objects in S3) and the
 * S3 object calls of that path (FakeS3Buckets). Detect answers come from the `script` queue; when
 * it is empty, the page's text is echoed from the PDF/PNG byte length. An async job reads the
 * staged PDF's page count and answers two LINEs per page: "PAGE n OF m" and "SECOND LINE n".
 */
export class FakeTextractServer {
  readonly requests: TextractRequestRecord[] = [];
  readonly script: TextractReply[] = [];
  readonly s3 = new FakeS3Buckets(new Set([FAKE_BUCKET]));
  /** Plan of the next StartDocumentTextDetection; reset to the default after each job. */
  nextJob: AsyncJobPlan = defaultPlan();
  private readonly jobs = new Map<string, AsyncJob>();
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.body(req)
        .then(async (raw) => {
          if (req.headers['x-amz-target']) await this.textract(req, raw, res);
          else this.s3.handle(req, raw, res);
        })
        .catch((error: unknown) => {
          res.statusCode = 500;
          res.end(JSON.stringify({ __type: 'InternalServerError', message: String(error) }));
        });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Forgets recorded requests, scripted answers and S3 objects' request log between tests. */
  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    this.s3.requests.length = 0;
    this.nextJob = defaultPlan();
  }

  /** Calls of one Textract operation, e.g. 'GetDocumentTextDetection'. */
  calls(operation: string): TextractRequestRecord[] {
    return this.requests.filter((r) => r.target === `Textract.${operation}`);
  }

  private async textract(req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target']);
    const body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    const document = body.Document as { Bytes?: string } | undefined;
    this.requests.push({
      target,
      contentType: String(req.headers['content-type'] ?? ''),
      authorization: String(req.headers.authorization ?? ''),
      documentBytes: Buffer.from(document?.Bytes ?? '', 'base64'),
      body,
    });
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.setHeader('x-amzn-requestid', `req-${this.requests.length}`);
    switch (target) {
      case 'Textract.DetectDocumentText':
        return this.detect(res);
      case 'Textract.StartDocumentTextDetection':
        return this.startJob(body, res);
      case 'Textract.GetDocumentTextDetection':
        return this.getJob(body, res);
      default:
        return awsError(res, 400, 'InvalidParameterException', `unsupported target ${target}`);
    }
  }

  private detect(res: ServerResponse): void {
    const reply = this.script.shift() ?? { lines: [`PAGE OF ${this.requests.at(-1)?.documentBytes.length} BYTES`] };
    if ('status' in reply) return awsError(res, reply.status, reply.type, reply.message);
    res.end(
      JSON.stringify({
        DocumentMetadata: { Pages: 1 },
        Blocks: pageBlocks(reply.lines),
        DetectDocumentTextModelVersion: '1.0',
      }),
    );
  }

  private async startJob(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const location = (body.DocumentLocation as { S3Object?: { Bucket?: string; Name?: string } } | undefined)?.S3Object;
    const object = this.s3.object(location?.Bucket ?? '', location?.Name ?? '');
    if (!object) return awsError(res, 400, 'InvalidS3ObjectException', 'Unable to get object metadata from S3');
    const pages = (await PDFDocument.load(object)).getPageCount();
    const jobId = `job-${this.jobs.size + 1}`;
    this.jobs.set(jobId, { plan: this.nextJob, pages, polls: 0 });
    this.nextJob = defaultPlan();
    res.end(JSON.stringify({ JobId: jobId }));
  }

  private getJob(body: Record<string, unknown>, res: ServerResponse): void {
    const job = this.jobs.get(String(body.JobId));
    if (!job) return awsError(res, 400, 'InvalidJobIdException', 'unknown job');
    if (job.polls++ < job.plan.inProgressPolls) return void res.end(JSON.stringify({ JobStatus: 'IN_PROGRESS' }));
    if (job.plan.status === 'FAILED') {
      return void res.end(
        JSON.stringify({ JobStatus: 'FAILED', StatusMessage: job.plan.statusMessage ?? 'job failed' }),
      );
    }
    const blocks = Array.from({ length: job.pages }, (_, i) =>
      pageBlocks([`PAGE ${i + 1} OF ${job.pages}`, `SECOND LINE ${i + 1}`]).map((b) => ({ ...b, Page: i + 1 })),
    ).flat();
    const from = Number(body.NextToken ?? 0);
    const to = from + job.plan.blocksPerResponse;
    res.end(
      JSON.stringify({
        JobStatus: job.plan.status,
        DocumentMetadata: { Pages: job.pages },
        Blocks: blocks.slice(from, to),
        NextToken: to < blocks.length ? String(to) : undefined,
        DetectDocumentTextModelVersion: '1.0',
      }),
    );
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}

function defaultPlan(): AsyncJobPlan {
  return { inProgressPolls: 1, status: 'SUCCEEDED', blocksPerResponse: 1000 };
}

function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  res.statusCode = status;
  res.end(JSON.stringify({ __type: type, message }));
}

/** A PAGE block and its lines laid out top to bottom, listed in reverse so callers must sort by geometry. */
function pageBlocks(lines: string[]) {
  const blocks = lines.map((text, i) => ({
    BlockType: 'LINE',
    Id: `line-${i}`,
    Text: text,
    Confidence: 98.5,
    Geometry: { BoundingBox: { Left: 0.1, Top: 0.1 + i * 0.05, Width: 0.5, Height: 0.02 } },
  }));
  return [
    { BlockType: 'PAGE', Id: 'page', Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 1 } } },
    ...blocks.reverse(),
  ];
}
