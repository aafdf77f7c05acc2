import { IncomingMessage, ServerResponse } from 'node:http';

export interface S3RequestRecord {
  method: string;
  bucket: string;
  key: string;
  authorization: string;
  bytes: number;
}

/**
 * The slice of S3's REST API the Textract async path uses, path-style: PUT and DELETE
 * /<bucket>/<key>. Objects live in memory; an unknown bucket answers NoSuchBucket like S3.
 */
export class FakeS3Buckets {
  readonly requests: S3RequestRecord[] = [];
  readonly objects = new Map<string, Buffer>();

  constructor(readonly buckets: Set<string>) {}

  handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const [, bucket = '', ...rest] = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).split('/');
    const key = rest.join('/');
    const bytes = decodeAwsChunked(req, body);
    this.requests.push({
      method: req.method ?? '',
      bucket,
      key,
      authorization: String(req.headers.authorization ?? ''),
      bytes: bytes.length,
    });
    if (!this.buckets.has(bucket)) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (req.method === 'PUT') {
      this.objects.set(`${bucket}/${key}`, bytes);
      res.setHeader('etag', '"fake-etag"');
      res.end();
    } else if (req.method === 'DELETE') {
      this.objects.delete(`${bucket}/${key}`);
      res.statusCode = 204;
      res.end();
    } else {
      xmlError(res, 405, 'MethodNotAllowed', `${req.method} is not supported here`);
    }
  }

  object(bucket: string, key: string): Buffer | undefined {
    return this.objects.get(`${bucket}/${key}`);
  }
}

/** S3's "aws-chunked" upload encoding (hex size;chunk-signature\r\n data \r\n ... 0\r\n trailers). */
function decodeAwsChunked(req: IncomingMessage, body: Buffer): Buffer {
  if (!String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) return body;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, eol).toString('latin1').split(';')[0], 16);
    if (!size) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/xml');
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}
