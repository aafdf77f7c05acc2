import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, RefusedAddressError, refusedLiteral, type ResolveAll } from './callback-url';

/** What one POST came to: an answer's status, or none with the reason. */
export interface AttemptResult {
  statusCode: number | null;
  /** null for a 2xx answer; else what went wrong (the answer's status and the start of its body). */
  error: string | null;
  durationMs: number;
}

const EXCERPT_CHARS = 200;
const USER_AGENT = 'doc-inbox-webhooks/1';

/**
 * POSTs one signed webhook: a fresh connection to the address the guard checked (pinned by its
 * `lookup`), no redirects followed, the whole exchange bounded by the timeout. Never throws: every
 * outcome is an AttemptResult to record.
 */
export class WebhookSender {
  private readonly lookup: ReturnType<typeof guardedLookup>;

  constructor(private readonly options: { timeoutMs: number; allowPrivate: boolean; resolve?: ResolveAll }) {
    this.lookup = guardedLookup({ allowPrivate: options.allowPrivate, resolve: options.resolve });
  }

  async send(target: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return { statusCode: null, error: `not a URL: ${target.slice(0, 100)}`, durationMs: 0 };
    }
    const refused = refusedLiteral(url, this.options.allowPrivate);
    if (refused) return { statusCode: null, error: refused, durationMs: took() };
    const request = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : null;
    if (!request) return { statusCode: null, error: `not an http(s) URL: ${url.protocol}`, durationMs: 0 };
    const payload = Buffer.from(body);
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (statusCode: number | null, error: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        resolve({ statusCode, error, durationMs: took() });
      };
      const req = request(url, {
        method: 'POST',
        agent: false,
        lookup: this.lookup as never,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(payload.length),
          'user-agent': USER_AGENT,
        },
      });
      const timer = setTimeout(
        () => finish(null, `no answer within ${this.options.timeoutMs / 1000} s (timeout)`),
        this.options.timeoutMs,
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        const coded = err.code && !(err instanceof RefusedAddressError) && !err.message.includes(err.code);
        finish(null, coded ? `${err.code}: ${err.message}` : err.message);
      });
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        let excerpt = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (excerpt.length < EXCERPT_CHARS) excerpt += chunk;
        });
        res.on('error', () => finish(status, status >= 200 && status < 300 ? null : `HTTP ${status}`));
        res.on('end', () => {
          if (status >= 200 && status < 300) return finish(status, null);
          const text = excerpt
            .slice(0, EXCERPT_CHARS)
            .replace(/\p{Cc}+/gu, ' ')
            .trim();
          finish(status, text ? `HTTP ${status}: ${text}` : `HTTP ${status}`);
        });
      });
      req.end(payload);
    });
  }
}
