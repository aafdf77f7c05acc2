import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3RequestRecord {
  method: string;
  /** The S3 operation the request was, e.g. 'UploadPart', 'ListObjectsV2'. */
  operation: string;
  bucket: string;
  key: string;
  authorization: string;
  /** Body bytes after aws-chunked decoding. */
  bytes: number;
}

export interface FakeS3Object {
  bytes: Buffer;
  lastModified: Date;
  contentType?: string;
  etag: string;
}

interface MultipartUpload {
  bucket: string;
  key: string;
  contentType?: string;
  parts: Map<number, Buffer>;
}

/** An answer forced on the next calls of an operation (credentials refused, throttling, ...). */
export interface S3Refusal {
  operation: string;
  status: number;
  code: string;
  message: string;
}

/**
 * The slice of S3's REST/XML protocol our code uses, path-style (`/<bucket>/<key>`): PutObject,
 * the multipart calls (Create, UploadPart, Complete, Abort), GetObject, HeadObject, DeleteObject,
 * DeleteObjects and ListObjectsV2 with continuation tokens. Objects live in memory; an unknown
 * bucket answers NoSuchBucket like S3. Bodies arrive whole (the server buffers a request), and
 * `receivedBytes` counts bytes as they arrive, so a test can see how far an upload has got.
 */
export class FakeS3 {
  readonly requests: S3RequestRecord[] = [];
  readonly objects = new Map<string, FakeS3Object>();
  readonly uploads = new Map<string, MultipartUpload>();
  readonly refusals: S3Refusal[] = [];
  receivedBytes = 0;

  constructor(readonly buckets: Set<string>) {}

  /** The object's bytes, if stored. */
  object(bucket: string, key: string): Buffer | undefined {
    return this.objects.get(`${bucket}/${key}`)?.bytes;
  }

  /** Keys stored in a bucket, sorted. */
  keys(bucket: string): string[] {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucket = '', ...rest] = url.pathname.split('/').map((s) => decodeURIComponent(s));
    const key = rest.join('/');
    const q = url.searchParams;
    const method = req.method ?? '';
    const bytes = decodeAwsChunked(req, body);
    const operation = operationOf(method, key, q);
    this.requests.push({
      method,
      operation,
      bucket,
      key,
      authorization: String(req.headers.authorization ?? ''),
      bytes: bytes.length,
    });
    const refusal = this.refusals.find((r) => r.operation === operation);
    if (refusal) return xmlError(res, refusal.status, refusal.code, refusal.message, method === 'HEAD');
    if (!this.buckets.has(bucket)) {
      return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', method === 'HEAD');
    }
    const id = `${bucket}/${key}`;
    const contentType = req.headers['content-type'];
    switch (operation) {
      case 'PutObject': {
        const etag = md5(bytes);
        this.objects.set(id, { bytes, lastModified: new Date(), contentType, etag });
        res.setHeader('etag', `"${etag}"`);
        return void res.end();
      }
      case 'CreateMultipartUpload': {
        const uploadId = randomUUID();
        this.uploads.set(uploadId, { bucket, key, contentType, parts: new Map() });
        return xml(
          res,
          `<InitiateMultipartUploadResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key>` +
            `<UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      case 'UploadPart': {
        const upload = this.uploads.get(q.get('uploadId') ?? '');
        if (!upload) return xmlError(res, 404, 'NoSuchUpload', 'The specified upload does not exist');
        upload.parts.set(Number(q.get('partNumber')), bytes);
        res.setHeader('etag', `"${md5(bytes)}"`);
        return void res.end();
      }
      case 'CompleteMultipartUpload': {
        const uploadId = q.get('uploadId') ?? '';
        const upload = this.uploads.get(uploadId);
        if (!upload) return xmlError(res, 404, 'NoSuchUpload', 'The specified upload does not exist');
        const numbers = [...bytes.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) =>
          Number(m[1]),
        );
        const parts = numbers.map((n) => upload.parts.get(n));
        if (numbers.length === 0 || parts.some((p) => p === undefined)) {
          return xmlError(res, 400, 'InvalidPart', 'One or more of the specified parts could not be found');
        }
        const whole = Buffer.concat(parts as Buffer[]);
        const etag = `${md5(whole)}-${parts.length}`;
        this.objects.set(id, { bytes: whole, lastModified: new Date(), contentType: upload.contentType, etag });
        this.uploads.delete(uploadId);
        return xml(
          res,
          `<CompleteMultipartUploadResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key>` +
            `<ETag>"${etag}"</ETag></CompleteMultipartUploadResult>`,
        );
      }
      case 'AbortMultipartUpload':
        this.uploads.delete(q.get('uploadId') ?? '');
        res.statusCode = 204;
        return void res.end();
      case 'GetObject':
      case 'HeadObject': {
        const object = this.objects.get(id);
        if (!object) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', method === 'HEAD');
        res.setHeader('content-length', object.bytes.length);
        res.setHeader('etag', `"${object.etag}"`);
        res.setHeader('last-modified', object.lastModified.toUTCString());
        res.setHeader('content-type', object.contentType ?? 'application/octet-stream');
        return void res.end(method === 'HEAD' ? undefined : object.bytes);
      }
      case 'DeleteObject':
        this.objects.delete(id);
        res.statusCode = 204;
        return void res.end();
      case 'DeleteObjects': {
        const text = bytes.toString('utf8');
        const quiet = /<Quiet>true<\/Quiet>/.test(text);
        const keys = [...text.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unesc(m[1]));
        if (keys.length > 1000) return xmlError(res, 400, 'MalformedXML', 'at most 1000 keys per request');
        for (const k of keys) this.objects.delete(`${bucket}/${k}`);
        const deleted = quiet ? '' : keys.map((k) => `<Deleted><Key>${esc(k)}</Key></Deleted>`).join('');
        return xml(res, `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${deleted}</DeleteResult>`);
      }
      case 'ListObjectsV2':
        return this.list(res, bucket, q);
      default:
        return xmlError(res, 405, 'MethodNotAllowed', `${method} ${operation} is not supported here`);
    }
  }

  private list(res: ServerResponse, bucket: string, q: URLSearchParams): void {
    const prefix = q.get('prefix') ?? '';
    const maxKeys = Math.min(Number(q.get('max-keys') ?? 1000), 1000);
    const token = q.get('continuation-token');
    const after = token ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
    const keys = this.keys(bucket).filter((k) => k.startsWith(prefix) && k > after);
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = this.objects.get(`${bucket}/${k}`)!;
        return (
          `<Contents><Key>${esc(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
          `<ETag>"${o.etag}"</ETag><Size>${o.bytes.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`
        );
      })
      .join('');
    const next = truncated
      ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64url')}</NextContinuationToken>`
      : '';
    xml(
      res,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${esc(bucket)}</Name>` +
        `<Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
        `<IsTruncated>${truncated}</IsTruncated>${token ? `<ContinuationToken>${token}</ContinuationToken>` : ''}` +
        `${next}${contents}</ListBucketResult>`,
    );
  }
}

/** FakeS3 on a loopback port of its own. */
export class FakeS3Server {
  readonly s3: FakeS3;
  private server?: Server;

  constructor(buckets: string[]) {
    this.s3 = new FakeS3(new Set(buckets));
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        this.s3.receivedBytes += chunk.length;
        parts.push(chunk);
      });
      req.on('end', () => {
        try {
          this.s3.handle(req, Buffer.concat(parts), res);
        } catch (error) {
          xmlError(res, 500, 'InternalError', String(error));
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function operationOf(method: string, key: string, q: URLSearchParams): string {
  if (method === 'GET' && !key) return q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
  if (method === 'POST' && !key && q.has('delete')) return 'DeleteObjects';
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'PUT' && q.has('uploadId')) return 'UploadPart';
  if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'PUT') return 'PutObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  return `${method}?`;
}

/** S3's "aws-chunked" upload encoding (hex size;chunk-signature\r\n data \r\n ... 0\r\n trailers). */
export function decodeAwsChunked(req: IncomingMessage, body: Buffer): Buffer {
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

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function xml(res: ServerResponse, body: string): void {
  res.setHeader('content-type', 'application/xml');
  res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

function xmlError(res: ServerResponse, status: number, code: string, message: string, headOnly = false): void {
  res.statusCode = status;
  if (headOnly) return void res.end(); // HEAD answers carry no body: the SDK sees only the status
  res.setHeader('content-type', 'application/xml');
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error>`,
  );
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unesc(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
