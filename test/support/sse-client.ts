/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * A minimal EventSource over fetch for tests: reads one event at a time, keeps the comment lines
 * it passes, and closes on demand (a client dropping its stream).
 */
export class SseStream {
  readonly comments: string[] = [];
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private ended = false;
  private readonly events: SseEvent[] = [];

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly reader: ReadableStreamDefaultReader<Uint8Array> | null,
    private readonly abort: AbortController,
  ) {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    return new SseStream(res.status, res.headers, res.body?.getReader() ?? null, abort);
  }

  /** The next event, or null once the server has ended the stream. */
  async next(): Promise<SseEvent | null> {
    while (this.events.length === 0 && !this.ended) await this.pump();
    return this.events.shift() ?? null;
  }

  /** Reads on (keeping the events for next()) until a comment line with this text arrives. */
  async waitForComment(text: string): Promise<void> {
    while (!this.comments.includes(text)) {
      if (this.ended) throw new Error(`the stream ended without the comment '${text}'`);
      await this.pump();
    }
  }

  /** Reads one chunk and parses the blocks it completes. */
  private async pump(): Promise<void> {
    if (!this.reader) {
      this.ended = true;
      return;
    }
    const { done, value } = await this.reader.read();
    if (done) this.ended = true;
    else this.buffer += this.decoder.decode(value, { stream: true });
    for (let cut = this.buffer.indexOf('\n\n'); cut >= 0; cut = this.buffer.indexOf('\n\n')) {
      const event = this.parse(this.buffer.slice(0, cut));
      this.buffer = this.buffer.slice(cut + 2);
      if (event) this.events.push(event);
    }
  }

  /** Every event until the server ends the stream. */
  async rest(): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    for (let e = await this.next(); e; e = await this.next()) events.push(e);
    return events;
  }

  close(): void {
    this.abort.abort();
    void this.reader?.cancel().catch(() => undefined);
  }

  private parse(block: string): SseEvent | null {
    const event: SseEvent = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') event.id = value;
      else if (field === 'event') event.event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && event.id === undefined && event.event === undefined) return null;
    event.data = data.join('\n');
    return event;
  }
}
