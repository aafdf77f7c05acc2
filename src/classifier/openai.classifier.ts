import OpenAI from 'openai';
import pLimit, { type LimitFunction } from 'p-limit';
import { DocumentError } from '../common/document-error';
import { Classifier, type Classification, type ClassificationInput, type TokenUsage } from './classifier.port';
import { hasText, noTextClassification } from './no-text';
import {
  ANSWER_SCHEMA_NAME,
  answerSchema,
  documentMessage,
  estimateTokens,
  fewShotMessages,
  parseAnswer,
  PROMPT_VERSION,
  systemPrompt,
  type FewShotExample,
} from './prompts';
import { OTHER, type Category } from './taxonomy';
import type { TrainingExamples } from './training-examples';
import type { AppConfig } from '../config/app-config';
import {
  DEFAULT_VISION_SETTINGS,
  poorPages,
  withinBudget,
  type BudgetedImage,
  type VisionSettings,
} from './vision-pages';

export interface OpenAIClassifierSettings {
  model: string;
  /** Budget for the whole prompt (system + examples + document), estimated at 4 chars/token. */
  maxInputTokens: number;
  /** Calls in flight at once from this process, across all jobs. */
  concurrency: number;
  /** Recent corrections shown as examples (0 disables). */
  fewShotExamples: number;
  /** Upper bound on the answer; a label, a number and three short reasons need far less. */
  maxCompletionTokens: number;
  /**
   * Pages whose text is missing or poor are sent as images too, within these budgets (their
   * tokens come out of maxInputTokens); null: text only (CLASSIFIER_VISION=off, or a model that
   * cannot see).
   */
  vision?: VisionSettings | null;
}

export const DEFAULT_OPENAI_SETTINGS: Omit<
  OpenAIClassifierSettings,
  'model' | 'maxInputTokens' | 'concurrency' | 'vision'
> = {
  fewShotExamples: 3,
  maxCompletionTokens: 400,
};

/** The document always gets at least this many tokens, whatever the examples take. */
const MIN_DOCUMENT_TOKENS = 200;
/** Room for the file-name line, quotes and the chat format's own tokens. */
const MESSAGE_OVERHEAD_TOKENS = 50;

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ContentPart = OpenAI.Chat.Completions.ChatCompletionContentPart;
type Completion = OpenAI.Chat.Completions.ChatCompletion;

/**
 * Classifies with OpenAI's Chat Completions (or any compatible endpoint) using Structured
 * Outputs: the answer's label is an enum of the allowed ids, and is validated again here.
 * Transient failures (429 honouring Retry-After, 408/409, 5xx, timeouts, dropped connections)
 * are retried with backoff by the SDK itself (the client's maxRetries); when they persist the
 * document fails with a retryable DocumentError so the job is retried later. One invalid answer
 * is retried once here; a refusal or a too-long prompt fails the document at once.
 */
export class OpenAIClassifier extends Classifier {
  private readonly limit: LimitFunction;

  constructor(
    private readonly client: OpenAI,
    private readonly settings: OpenAIClassifierSettings,
    private readonly examples: TrainingExamples | null = null,
  ) {
    super();
    this.limit = pLimit(settings.concurrency);
  }

  async classify(input: ClassificationInput): Promise<Classification> {
    input.signal.throwIfAborted();
    const base = { classifier: 'openai', model: this.settings.model, promptVersion: PROMPT_VERSION };
    const images = await this.images(input);
    if (images.length === 0 && !input.pages.some((p) => hasText(p.text))) {
      return noTextClassification(base.classifier, base.model, base.promptVersion);
    }

    const messages = await this.messages(input, images);
    const schema = answerSchema(input.categories);
    const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    let problem = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      const completion = await this.limit(() => this.complete(messages, schema, input.signal));
      addUsage(usage, completion);
      const choice = completion.choices[0];
      const refusal = choice?.message.refusal;
      if (refusal || choice?.finish_reason === 'content_filter') {
        throw withUsage(
          new DocumentError(
            'classifier_refused',
            `the model refused to classify this document${refusal ? `: ${refusal.slice(0, 300)}` : ' (content filter)'}`,
          ),
          usage,
        );
      }
      const parsed = parseAnswer(choice?.message.content ?? '', input.categories);
      if (parsed.ok) {
        return { ...base, ...parsed.answer, usage };
      }
      problem = choice?.finish_reason === 'length' ? 'the answer was cut off (max tokens)' : parsed.problem;
    }
    throw withUsage(
      new DocumentError(
        'classifier_invalid_answer',
        `the model answered twice without a valid classification: ${problem}`,
      ),
      usage,
    );
  }

  /**
   * Images of the pages whose text is missing or poor, within the pixel and token budget. A page
   * that cannot be rendered costs the images, never the document: its text is still sent.
   */
  private async images(input: ClassificationInput): Promise<BudgetedImage[]> {
    const vision = this.settings.vision;
    if (!vision || !input.pageImages) return [];
    const wanted = poorPages(input.pages).slice(0, vision.maxPages);
    if (wanted.length === 0) return [];
    try {
      return withinBudget(await input.pageImages(wanted), vision);
    } catch (error) {
      input.signal.throwIfAborted();
      if (error instanceof DocumentError) return [];
      throw error;
    }
  }

  private async messages(input: ClassificationInput, images: readonly BudgetedImage[]): Promise<ChatMessage[]> {
    const system = systemPrompt(input.categories);
    const examples = await this.fewShot(input.categories, input.tenantId);
    let few = fewShotMessages(examples);
    const fixed = estimateTokens(system) + MESSAGE_OVERHEAD_TOKENS;
    const fewTokens = few.reduce((n, m) => n + estimateTokens(m.content) + MESSAGE_OVERHEAD_TOKENS, 0);
    // Examples help, but never at the cost of the document itself: at most a quarter of the budget.
    const withExamples = fewTokens <= this.settings.maxInputTokens / 4;
    if (!withExamples) few = [];
    const imageTokens = images.reduce((n, i) => n + i.tokens, 0);
    const used = fixed + (withExamples ? fewTokens : 0) + imageTokens;
    const documentBudget = Math.max(MIN_DOCUMENT_TOKENS, this.settings.maxInputTokens - used);
    const text = documentMessage(input, documentBudget);
    return [
      { role: 'system', content: system },
      ...few,
      { role: 'user', content: images.length === 0 ? text : [{ type: 'text', text }, ...imageParts(images)] },
    ];
  }

  /** The most recent corrections whose label this request allows. */
  private async fewShot(categories: readonly Category[], tenantId: string | undefined): Promise<FewShotExample[]> {
    if (!this.examples || this.settings.fewShotExamples <= 0) return [];
    const allowed = new Set([...categories.map((c) => c.id), OTHER]);
    // Only the document's own tenant's corrections: never another tenant's text in a prompt.
    const { examples } = await this.examples.current(tenantId);
    return examples
      .filter((e) => allowed.has(e.label) && hasText(e.text))
      .slice(0, this.settings.fewShotExamples)
      .map((e) => ({ filename: e.filename, text: e.text, label: e.label }));
  }

  private async complete(
    messages: ChatMessage[],
    schema: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Completion> {
    signal.throwIfAborted();
    try {
      return await this.client.chat.completions.create(
        {
          model: this.settings.model,
          messages,
          response_format: { type: 'json_schema', json_schema: { name: ANSWER_SCHEMA_NAME, strict: true, schema } },
          max_completion_tokens: this.settings.maxCompletionTokens,
        },
        { signal },
      );
    } catch (e) {
      throw this.translate(e, signal);
    }
  }

  /** SDK errors -> per-document errors with a clear message; never includes the API key. */
  private translate(e: unknown, signal: AbortSignal): unknown {
    if (e instanceof OpenAI.APIUserAbortError) return signal.reason ?? e;
    const retries = `after ${this.client.maxRetries} retries`;
    if (e instanceof OpenAI.APIConnectionTimeoutError) {
      return new DocumentError(
        'provider_unavailable',
        `OpenAI did not answer within ${this.client.timeout} ms (${retries})`,
        true,
      );
    }
    if (e instanceof OpenAI.APIConnectionError) {
      return new DocumentError(
        'provider_unavailable',
        `could not reach OpenAI (${retries}): ${this.scrub(e.message)}`,
        true,
      );
    }
    if (!(e instanceof OpenAI.APIError)) return e;
    const detail = `${e.status ?? '?'}${e.code ? ` ${e.code}` : ''}`;
    if (e.code === 'context_length_exceeded') {
      return new DocumentError(
        'context_length_exceeded',
        `the document is too long for ${this.settings.model} even cut to ~${this.settings.maxInputTokens} tokens; lower CLASSIFIER_MAX_INPUT_TOKENS`,
      );
    }
    if (e instanceof OpenAI.RateLimitError) {
      const quota = e.code === 'insufficient_quota';
      return new DocumentError(
        quota ? 'provider_quota_exceeded' : 'provider_unavailable',
        quota ? 'the OpenAI account has no quota left' : `OpenAI is rate limiting this key (${retries})`,
        true,
      );
    }
    if (e instanceof OpenAI.InternalServerError || (e.status !== undefined && e.status >= 500)) {
      return new DocumentError('provider_unavailable', `OpenAI failed with ${detail} (${retries})`, true);
    }
    if (e instanceof OpenAI.AuthenticationError || e instanceof OpenAI.PermissionDeniedError) {
      // The provider's message quotes part of the key: leave it out. Retryable: not the document's fault.
      return new DocumentError(
        'provider_auth_failed',
        `OpenAI refused the API key (${detail}); check OPENAI_API_KEY`,
        true,
      );
    }
    return new DocumentError('provider_rejected', `OpenAI rejected the request (${detail}): ${this.scrub(e.message)}`);
  }

  private scrub(message: string): string {
    const key = this.client.apiKey;
    return (key ? message.split(key).join('[redacted]') : message).slice(0, 500);
  }
}

/** Each image after a line naming its page, so reasons can cite it. */
function imageParts(images: readonly BudgetedImage[]): ContentPart[] {
  return images.flatMap((image): ContentPart[] => [
    { type: 'text', text: `[page ${image.number}, as an image: its text could not be read well]` },
    {
      type: 'image_url',
      image_url: { url: `data:image/png;base64,${Buffer.from(image.png).toString('base64')}`, detail: 'high' },
    },
  ]);
}

function addUsage(total: TokenUsage, completion: Completion): void {
  const u = completion.usage;
  if (!u) return;
  total.promptTokens += u.prompt_tokens;
  total.completionTokens += u.completion_tokens;
  total.totalTokens += u.total_tokens;
}

function withUsage(error: DocumentError, usage: TokenUsage): DocumentError {
  error.usage = usage;
  return error;
}

/** Retries of one call by the SDK (429 with Retry-After, 408/409, 5xx, timeouts, connection errors). */
export const OPENAI_MAX_RETRIES = 3;

/** The classifier CLASSIFIER_PROVIDER=openai configures: its client, model, budgets and vision. */
export function openAIClassifierFor(c: AppConfig['classifier'], examples: TrainingExamples): OpenAIClassifier {
  const client = new OpenAI({
    apiKey: c.openaiApiKey,
    baseURL: c.openaiBaseUrl,
    timeout: c.openaiTimeoutMs,
    maxRetries: OPENAI_MAX_RETRIES,
  });
  return new OpenAIClassifier(
    client,
    {
      ...DEFAULT_OPENAI_SETTINGS,
      model: c.openaiModel,
      maxInputTokens: c.maxInputTokens,
      concurrency: c.openaiConcurrency,
      vision: c.vision ? DEFAULT_VISION_SETTINGS : null,
    },
    examples,
  );
}
