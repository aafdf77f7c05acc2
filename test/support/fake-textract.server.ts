import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface TextractRequestRecord {
  target: string;
  contentType: string;
  authorization: string;
  documentBytes: Buffer;
}

/** One scripted answer: a page of LINE texts, or an AWS JSON error with its HTTP status. */
export type TextractReply = { lines: string[] } | { status: number; type: string; message: string };

/**
 * Loopback server speaking Textract's JSON 1.1 protocol for DetectDocumentText. Answers come from
 * the `script` queue; when it is empty, the page's text is echoed from the PDF/PNG byte length.
 */
export class FakeTextractServer {
  readonly requests: TextractRequestRecord[] = [];
  readonly script: TextractReply[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.body(req).then((raw) => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const parsed = JSON.parse(raw.toString('utf8') || '{}') as { Document?: { Bytes?: string } };
        this.requests.push({
          target,
          contentType: String(req.headers['content-type'] ?? ''),
          authorization: String(req.headers.authorization ?? ''),
          documentBytes: Buffer.from(parsed.Document?.Bytes ?? '', 'base64'),
        });
        const reply = this.script.shift() ?? { lines: [`PAGE OF ${this.requests.at(-1)?.documentBytes.length} BYTES`] };
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        res.setHeader('x-amzn-requestid', `req-${this.requests.length}`);
        if (target !== 'Textract.DetectDocumentText') {
          res.statusCode = 400;
          res.end(JSON.stringify({ __type: 'InvalidParameterException', message: `unsupported target ${target}` }));
        } else if ('status' in reply) {
          res.statusCode = reply.status;
          res.end(JSON.stringify({ __type: reply.type, message: reply.message }));
        } else {
          res.end(JSON.stringify(detectResponse(reply.lines)));
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}

/** Lines laid out top to bottom, listed in reverse so callers must sort by geometry. */
function detectResponse(lines: string[]) {
  const blocks = lines.map((text, i) => ({
    BlockType: 'LINE',
    Id: `line-${i}`,
    Text: text,
    Confidence: 98.5,
    Geometry: { BoundingBox: { Left: 0.1, Top: 0.1 + i * 0.05, Width: 0.5, Height: 0.02 } },
  }));
  return {
    DocumentMetadata: { Pages: 1 },
    Blocks: [
      { BlockType: 'PAGE', Id: 'page', Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 1 } } },
      ...blocks.reverse(),
    ],
    DetectDocumentTextModelVersion: '1.0',
  };
}
