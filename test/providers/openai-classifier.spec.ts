import OpenAI from 'openai';
import sharp from 'sharp';
import type { ClassificationInput } from '../../src/classifier/classifier.port';
import { CorrectionStore, type Correction, type NewCorrection } from '../../src/classifier/correction-store.port';
import { loadTaxonomy } from '../../src/classifier/taxonomy.loader';
import { OpenAIClassifier, type OpenAIClassifierSettings } from '../../src/classifier/openai.classifier';
import { PROMPT_VERSION } from '../../src/classifier/prompts';
import { TrainingExamples } from '../../src/classifier/training-examples';
import { DEFAULT_VISION_SETTINGS, imageTokens, pngSize } from '../../src/classifier/vision-pages';
import { apiError, completion, FakeOpenAIServer, messageText } from '../support/fake-openai.server';
import { documentError } from '../support/document-error';

const DEFAULT_CATEGORIES = loadTaxonomy().categories;

const API_KEY = 'sk-test-1234567890abcdef-secret';
const CATEGORIES = DEFAULT_CATEGORIES;
const SETTINGS: OpenAIClassifierSettings = {
  model: 'gpt-4o',
  maxInputTokens: 6000,
  concurrency: 4,
  fewShotExamples: 3,
  maxCompletionTokens: 400,
};

function input(
  text = 'INVOICE No. 42\nAmount due: 120.00 EUR\nDue date: 1 Dec 2026',
  signal = new AbortController().signal,
): ClassificationInput {
  return {
    pages: [{ number: 1, text, source: 'text-layer', confidence: null }],
    pageCount: 1,
    filename: 'inv-42.pdf',
    categories: CATEGORIES,
    signal,
  };
}

function answer(label: string, confidence = 0.93, reasons = ['titled INVOICE', 'amount due']): string {
  return JSON.stringify({ label, confidence, reasons });
}

class FixedCorrections extends CorrectionStore {
  constructor(private readonly rows: Correction[]) {
    super();
  }
  async record(_c: NewCorrection): Promise<Correction> {
    throw new Error('not used');
  }
  async list(limit: number): Promise<Correction[]> {
    return this.rows.slice(0, limit);
  }
  async revision(): Promise<string> {
    return String(this.rows.length);
  }
}

describe('OpenAIClassifier over HTTP (real SDK, loopback server)', () => {
  let server: FakeOpenAIServer;

  beforeAll(async () => {
    server = await FakeOpenAIServer.start();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  function classifier(
    options: {
      timeout?: number;
      maxRetries?: number;
      examples?: TrainingExamples;
      settings?: Partial<OpenAIClassifierSettings>;
    } = {},
  ) {
    const client = new OpenAI({
      apiKey: API_KEY,
      baseURL: server.baseURL,
      timeout: options.timeout ?? 10_000,
      maxRetries: options.maxRetries ?? 2,
    });
    return new OpenAIClassifier(client, { ...SETTINGS, ...options.settings }, options.examples ?? null);
  }

  it('classifies with a strict json_schema whose label enum is the taxonomy, and records usage', async () => {
    server.reply({ status: 200, body: completion(answer('invoice'), { promptTokens: 900, completionTokens: 30 }) });

    const result = await classifier().classify(input());

    expect(result).toEqual({
      label: 'invoice',
      confidence: 0.93,
      reasons: ['titled INVOICE', 'amount due'],
      classifier: 'openai',
      model: 'gpt-4o',
      promptVersion: PROMPT_VERSION,
      usage: { promptTokens: 900, completionTokens: 30, totalTokens: 930 },
    });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req.body.model).toBe('gpt-4o');
    expect(req.body.response_format?.type).toBe('json_schema');
    expect(req.body.response_format?.json_schema?.strict).toBe(true);
    expect(req.body.response_format?.json_schema?.schema.properties.label.enum).toEqual([
      ...CATEGORIES.map((c) => c.id),
      'other',
    ]);
    const system = req.body.messages[0];
    expect(system.role).toBe('system');
    for (const c of CATEGORIES) expect(system.content).toContain(`- ${c.id} (${c.label}): ${c.description}`);
    const user = req.body.messages[req.body.messages.length - 1];
    expect(user.content).toContain('File name: inv-42.pdf');
    expect(user.content).toContain('Amount due: 120.00 EUR');
  });

  it('narrows the enum and the prompt to the categories of the request', async () => {
    server.reply({ status: 200, body: completion(answer('receipt')) });
    const categories = CATEGORIES.filter((c) => c.id === 'invoice' || c.id === 'receipt');

    await classifier().classify({ ...input(), categories });

    const [req] = server.requests;
    expect(req.body.response_format?.json_schema?.schema.properties.label.enum).toEqual([
      'invoice',
      'receipt',
      'other',
    ]);
    expect(req.body.messages[0].content).not.toContain('bank_statement');
  });

  it('waits out a 429 with Retry-After and then succeeds (the SDK retries)', async () => {
    server.reply(
      {
        status: 429,
        headers: { 'retry-after': '0' },
        body: apiError('Rate limit reached', 'requests', 'rate_limit_exceeded'),
      },
      { status: 200, body: completion(answer('invoice')) },
    );

    const result = await classifier().classify(input());

    expect(result.label).toBe('invoice');
    expect(server.requests).toHaveLength(2);
  });

  it('retries a 500 and succeeds', async () => {
    server.reply(
      { status: 500, body: apiError('The server had an error', 'server_error', null) },
      { status: 200, body: completion(answer('invoice')) },
    );
    await expect(classifier().classify(input())).resolves.toMatchObject({ label: 'invoice' });
    expect(server.requests).toHaveLength(2);
  });

  it('fails the document as retryable provider_unavailable when 5xx persists', async () => {
    server.defaultReply = {
      status: 503,
      headers: { 'retry-after': '0' },
      body: apiError('overloaded', 'server_error', null),
    };
    try {
      const e = await documentError(classifier({ maxRetries: 2 }).classify(input()));
      expect(e.code).toBe('provider_unavailable');
      expect(e.retryable).toBe(true);
      expect(e.message).toContain('503');
      expect(server.requests).toHaveLength(3);
    } finally {
      server.defaultReply = { status: 200, body: completion(answer('other')) };
    }
  });

  it('fails the document as retryable provider_unavailable when the server never answers', async () => {
    server.reply({ hang: true }, { hang: true });

    const e = await documentError(classifier({ timeout: 300, maxRetries: 1 }).classify(input()));

    expect(e.code).toBe('provider_unavailable');
    expect(e.retryable).toBe(true);
    // Plain Node gets APIConnectionTimeoutError ("did not answer within 300 ms"). Under jest the
    // SDK's abort DOMException comes from another realm, fails its `instanceof Error` check and
    // surfaces as a generic connection error; both are the same retryable outcome.
    expect(e.message).toMatch(/did not answer within 300 ms|could not reach OpenAI \(after 1 retries\)/);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a malformed answer once and sums the usage of both calls', async () => {
    server.reply(
      { status: 200, body: completion('{"label": "invoice", "confid', { promptTokens: 100, completionTokens: 10 }) },
      { status: 200, body: completion(answer('invoice'), { promptTokens: 100, completionTokens: 12 }) },
    );
    const result = await classifier().classify(input());
    expect(result.label).toBe('invoice');
    expect(result.usage).toEqual({ promptTokens: 200, completionTokens: 22, totalTokens: 222 });
  });

  it('fails with classifier_invalid_answer after two malformed answers', async () => {
    server.reply(
      { status: 200, body: completion('not json at all') },
      { status: 200, body: completion('still not json') },
    );
    const e = await documentError(classifier().classify(input()));
    expect(e.code).toBe('classifier_invalid_answer');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('not valid JSON');
    expect(server.requests).toHaveLength(2);
  });

  it('refuses a label outside the taxonomy (validated on our side too)', async () => {
    server.reply(
      { status: 200, body: completion(answer('shopping_list')) },
      { status: 200, body: completion(answer('shopping_list')) },
    );
    const e = await documentError(classifier().classify(input()));
    expect(e.code).toBe('classifier_invalid_answer');
    expect(e.message).toContain('"shopping_list" is not one of the allowed document types');
  });

  it('rejects a confidence outside 0..1', async () => {
    server.reply(
      { status: 200, body: completion(answer('invoice', 7)) },
      { status: 200, body: completion(answer('invoice', 0.7)) },
    );
    await expect(classifier().classify(input())).resolves.toMatchObject({ label: 'invoice', confidence: 0.7 });
  });

  it('fails with classifier_refused on a refusal, without retrying', async () => {
    server.reply({ status: 200, body: completion(null, { refusal: "I'm sorry, I can't help with that." }) });
    const e = await documentError(classifier().classify(input()));
    expect(e.code).toBe('classifier_refused');
    expect(e.message).toContain("I can't help with that");
    expect(server.requests).toHaveLength(1);
    // A refusal is billed: its tokens stay on the document.
    expect(e.usage?.totalTokens).toBeGreaterThan(0);
  });

  it('fails with context_length_exceeded, not retryable, on that 400', async () => {
    server.reply({
      status: 400,
      body: apiError(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
        'invalid_request_error',
        'context_length_exceeded',
      ),
    });
    const e = await documentError(classifier().classify(input()));
    expect(e.code).toBe('context_length_exceeded');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('CLASSIFIER_MAX_INPUT_TOKENS');
    expect(server.requests).toHaveLength(1);
  });

  it('never echoes the API key when the key is refused', async () => {
    server.reply({
      status: 401,
      body: apiError(`Incorrect API key provided: ${API_KEY}.`, 'invalid_request_error', 'invalid_api_key'),
    });
    const e = await documentError(classifier().classify(input()));
    expect(e.code).toBe('provider_auth_failed');
    expect(e.message).not.toContain(API_KEY);
    expect(e.message).not.toContain('sk-test');
  });

  it('cuts a long text to the token budget, keeping its beginning and end', async () => {
    server.reply({ status: 200, body: completion(answer('scientific_paper')) });
    const pages = Array.from(
      { length: 30 },
      (_, i) => `Page ${i + 1} START ${'lorem ipsum dolor '.repeat(300)} END${i + 1}`,
    );

    await classifier({ settings: { maxInputTokens: 3000 } }).classify({
      ...input(),
      pages: pages.map((text, i) => ({ number: i + 1, text, source: 'text-layer', confidence: null })),
      pageCount: 30,
    });

    const user = messageText(server.requests[0].body.messages.at(-1)!.content);
    const total = server.requests[0].body.messages.reduce((n, m) => n + messageText(m.content).length, 0);
    expect(total).toBeLessThanOrEqual(3000 * 4);
    expect(user).toContain('[page 1]\nPage 1 START');
    expect(user).toContain('END30');
    expect(user).toMatch(/\[\.\.\. \d+ characters omitted \.\.\.\]/);
  });

  it('shows recent corrections as few-shot examples, only with labels the request allows', async () => {
    const at = new Date('2026-11-28T10:00:00Z');
    const correction = (label: string, text: string): Correction => ({
      jobId: '00000000-0000-4000-8000-000000000001',
      position: 0,
      filename: `${label}.pdf`,
      label,
      predictedLabel: 'other',
      text,
      createdAt: at,
      updatedAt: at,
    });
    const examples = new TrainingExamples(
      new FixedCorrections([
        correction('payslip', 'Gehaltsabrechnung November Brutto Netto'),
        correction('contract', 'This agreement is entered into between the parties'),
      ]),
    );
    server.reply({ status: 200, body: completion(answer('invoice')) });
    const categories = CATEGORIES.filter((c) => c.id !== 'contract');

    await classifier({ examples }).classify({ ...input(), categories });

    const messages = server.requests[0].body.messages;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[1].content).toContain('Gehaltsabrechnung');
    expect(JSON.parse(messageText(messages[2].content))).toMatchObject({ label: 'payslip' });
  });

  it('keeps at most `concurrency` calls in flight across documents', async () => {
    server.defaultReply = { status: 200, body: completion(answer('invoice')), delayMs: 30 };
    try {
      const c = classifier({ settings: { concurrency: 2 } });
      await Promise.all(Array.from({ length: 6 }, () => c.classify(input())));
      expect(server.requests).toHaveLength(6);
      expect(server.maxInFlight).toBeLessThanOrEqual(2);
    } finally {
      server.defaultReply = { status: 200, body: completion(answer('other')) };
    }
  });

  it('answers other with confidence 0 for a document without text, without calling the API', async () => {
    const result = await classifier().classify(input('  \n\f  '));
    expect(result).toMatchObject({ label: 'other', confidence: 0, reasons: ['no text could be read'] });
    expect(server.requests).toHaveLength(0);
  });

  it('tells the model to name in reasons what a document that fits none of the requested types is', async () => {
    server.reply({ status: 200, body: completion(answer('other', 0.2, ['page 1: a tenancy agreement'])) });
    const categories = CATEGORIES.filter((c) => c.id === 'invoice');
    const result = await classifier().classify({
      ...input('TENANCY AGREEMENT between the landlord and the tenant'),
      categories,
    });
    expect(result).toMatchObject({ label: 'other', reasons: ['page 1: a tenancy agreement'] });
    const system = messageText(server.requests[0].body.messages[0].content);
    expect(system.replace(/\s+/g, ' ')).toContain(
      'Answer "other" when no type below fits, or when the text is too short or garbled to tell; then say in reasons what kind of document it looks like',
    );
  });

  describe('with a vision model', () => {
    const page = (number: number, text: string, confidence: number | null = null) => ({
      number,
      text,
      source: confidence === null ? ('text-layer' as const) : ('tesseract' as const),
      confidence,
    });
    const png = async (width: number, height: number) =>
      new Uint8Array(
        await sharp({ create: { width, height, channels: 3, background: '#f4f4f4' } })
          .png()
          .toBuffer(),
      );

    it('sends the pages whose text is missing or poor as images, within the pixel and token budget', async () => {
      server.reply({ status: 200, body: completion(answer('receipt'), { promptTokens: 2900, completionTokens: 25 }) });
      const asked: number[][] = [];
      const pageImages = async (numbers: number[]) => {
        asked.push(numbers);
        // Page 3 comes back larger than the pixel budget allows: it must be left out.
        return Promise.all(
          numbers.map(async (number) => ({ number, png: number === 3 ? await png(2000, 2000) : await png(800, 1000) })),
        );
      };
      const pages = [
        page(1, 'INVOICE No. 42\nAmount due: 120.00 EUR\nDue date: 1 Dec 2026\nBill to: Northwind Traders'),
        page(2, '', 0),
        page(3, 'x ~ ,', 0.2),
        page(4, 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod', 0.31),
        page(5, 'n. .', 0.1),
      ];

      const result = await classifier({ settings: { vision: DEFAULT_VISION_SETTINGS } }).classify({
        ...input(),
        pages,
        pageCount: 5,
        pageImages,
      });

      // Only poor pages, at most maxPages of them, first pages first.
      expect(asked).toEqual([[2, 3, 4]]);
      const content = server.requests[0].body.messages.at(-1)!.content;
      expect(Array.isArray(content)).toBe(true);
      const parts = content as Exclude<typeof content, string>;
      expect(parts[0].type).toBe('text');
      expect(parts[0].text).toContain('[page 1]\nINVOICE No. 42');
      const images = parts.filter((p) => p.type === 'image_url');
      expect(images).toHaveLength(2);
      expect(parts.filter((p) => p.type === 'text').map((p) => p.text)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^\[page 2, as an image/),
          expect.stringMatching(/^\[page 4, as an image/),
        ]),
      );
      let tokens = 0;
      for (const image of images) {
        expect(image.image_url?.url).toMatch(/^data:image\/png;base64,/);
        const bytes = new Uint8Array(Buffer.from(image.image_url!.url.split(',')[1], 'base64'));
        const size = pngSize(bytes)!;
        expect(size.width * size.height).toBeLessThanOrEqual(DEFAULT_VISION_SETTINGS.maxPixelsPerImage);
        tokens += imageTokens(size.width, size.height);
      }
      expect(tokens).toBeLessThanOrEqual(DEFAULT_VISION_SETTINGS.maxImageTokens);
      // The images' tokens come out of the prompt budget.
      const text = server.requests[0].body.messages.reduce((n, m) => n + messageText(m.content).length, 0);
      expect(Math.ceil(text / 4) + tokens).toBeLessThanOrEqual(SETTINGS.maxInputTokens);
      // The billed tokens are what the API counted, images included.
      expect(result).toMatchObject({
        label: 'receipt',
        usage: { promptTokens: 2900, completionTokens: 25, totalTokens: 2925 },
      });
    });

    it('classifies a document with no readable text from its page image instead of giving up', async () => {
      server.reply({ status: 200, body: completion(answer('id_document')) });
      const result = await classifier({ settings: { vision: DEFAULT_VISION_SETTINGS } }).classify({
        ...input(''),
        pages: [page(1, '', 0)],
        pageImages: async (numbers) =>
          Promise.all(numbers.map(async (number) => ({ number, png: await png(600, 400) }))),
      });
      expect(result.label).toBe('id_document');
      const content = server.requests[0].body.messages.at(-1)!.content;
      expect((content as Exclude<typeof content, string>).some((p) => p.type === 'image_url')).toBe(true);
    });

    it('sends text only when vision is off, without rendering anything', async () => {
      server.reply({ status: 200, body: completion(answer('invoice')) });
      let rendered = false;
      await classifier({ settings: { vision: null } }).classify({
        ...input(),
        pages: [page(1, 'INVOICE 42 amount due 10.00'), page(2, '', 0)],
        pageImages: async () => {
          rendered = true;
          return [];
        },
      });
      expect(rendered).toBe(false);
      expect(typeof server.requests[0].body.messages.at(-1)!.content).toBe('string');
    });
  });

  it('stops when the signal aborts', async () => {
    server.reply({ hang: true });
    const controller = new AbortController();
    const pending = classifier().classify(input(undefined, controller.signal));
    setTimeout(() => controller.abort(new Error('file timeout')), 20);
    await expect(pending).rejects.toThrow('file timeout');
  });
});
