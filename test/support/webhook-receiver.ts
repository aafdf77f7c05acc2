import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  /** The request's path, e.g. /hooks/a. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The payload when `new Webhook(secret).verify(body, headers)` accepted it; null when it threw. */
  verified: unknown;
  verifyError: string | null;
  /** What the receiver answered; null while it holds the request (or the sender went away first). */
  answered: number | null;
  /** The sender closed the connection before an answer. */
  aborted: boolean;
}

/** What to do with the n-th request (0-based): answer with a status, or hold it open. */
export type Responder = (n: number, received: ReceivedWebhook) => number | 'hold';

/**
 * A loopback webhook receiver (node:http on 127.0.0.1, port 0) that checks every request as the
 * README tells a receiver to: standardwebhooks' verify over the raw body and the headers.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server?: Server;
  private readonly held = new Set<ServerResponse>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly secret: string,
    public respond: Responder = () => 200,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      );
      let verified: unknown = null;
      let verifyError: string | null = null;
      try {
        verified = new Webhook(this.secret).verify(body, headers);
      } catch (err) {
        verifyError = (err as Error).message;
      }
      const entry: ReceivedWebhook = {
        id: headers['webhook-id'] ?? '',
        path: req.url ?? '',
        headers,
        body,
        verified,
        verifyError,
        answered: null,
        aborted: false,
      };
      const n = this.received.length;
      this.received.push(entry);
      res.on('close', () => {
        this.held.delete(res);
        if (entry.answered === null) entry.aborted = true;
        this.notify();
      });
      const action = this.respond(n, entry);
      if (action === 'hold') this.held.add(res);
      else {
        entry.answered = action;
        res.writeHead(action, { 'content-type': 'text/plain' }).end(action >= 400 ? 'receiver says no' : 'ok');
      }
      this.notify();
    });
  }

  private notify(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves once the predicate holds over what was received; rejects after timeoutMs. */
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.received)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`receiver: condition not met in ${timeoutMs} ms (${this.received.length} received)`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
