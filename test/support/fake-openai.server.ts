import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatCompletionRequestBody;
}

/** A part of a message with several (text and images). */
export interface ContentPart {
  type: string;
  text?: string;
  image_url?: { url: string; detail?: string };
}

/** The parts of a Chat Completions request the tests look at. */
export interface ChatCompletionRequestBody {
  model: string;
  messages: Array<{ role: string; content: string | ContentPart[] }>;
  response_format?: {
    type: string;
    json_schema?: { name: string; strict?: boolean; schema: { properties: { label: { enum: string[] } } } };
  };
  max_completion_tokens?: number;
}

export type Reply =
  | { status: number; headers?: Record<string, string>; body: unknown; delayMs?: number }
  /** Never answers (the client must time out). */
  | { hang: true };

/**
 * A loopback server that speaks OpenAI's Chat Completions protocol, for driving the real SDK
 * over real HTTP. Replies are queued; when the queue is empty the default reply is used.
 */
export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = [];
  /** Most requests seen in flight at once. */
  maxInFlight = 0;
  /** Hanging requests whose client gave up (closed the connection), e.g. on an abort. */
  abandoned = 0;
  private closing = false;
  private inFlight = 0;
  private readonly queue: Reply[] = [];
  private readonly hanging: ServerResponse[] = [];
  defaultReply: Reply = {
    status: 200,
    body: completion(JSON.stringify({ label: 'other', confidence: 0.5, reasons: [] })),
  };

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeOpenAIServer> {
    const server = createServer();
    const fake = new FakeOpenAIServer(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => fake.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Pass as the SDK's baseURL. */
  get baseURL(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  reply(...replies: Reply[]): this {
    this.queue.push(...replies);
    return this;
  }

  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.maxInFlight = 0;
    this.abandoned = 0;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, path: string, headers: IncomingHttpHeaders, raw: Buffer, res: ServerResponse): void {
    if (method !== 'POST' || path !== '/v1/chat/completions') {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify(apiError('not found', 'invalid_request_error', null)));
      return;
    }
    this.requests.push({ method, path, headers, body: JSON.parse(raw.toString('utf8')) as ChatCompletionRequestBody });
    const reply = this.queue.shift() ?? this.defaultReply;
    if ('hang' in reply) {
      this.hanging.push(res);
      res.once('close', () => {
        if (!this.closing) this.abandoned++;
      });
      return;
    }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const send = () => {
      this.inFlight--;
      res
        .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
        .end(JSON.stringify(reply.body));
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  }
}

/** A chat.completion response body with one choice. */
export function completion(
  content: string | null,
  options: { refusal?: string; finishReason?: string; promptTokens?: number; completionTokens?: number } = {},
): unknown {
  const promptTokens = options.promptTokens ?? 120;
  const completionTokens = options.completionTokens ?? 20;
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1_764_300_000,
    model: 'gpt-4o-2024-08-06',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: options.refusal ?? null },
        logprobs: null,
        finish_reason: options.finishReason ?? 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/** An OpenAI error body. */
export function apiError(message: string, type: string, code: string | null): unknown {
  return { error: { message, type, param: null, code } };
}

/** A message's text: its content, or its text parts joined by newlines. */
export function messageText(content: string | ContentPart[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text ?? '').join('\n');
}
