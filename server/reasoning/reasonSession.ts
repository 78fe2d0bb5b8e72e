import type { SessionNoticeBody } from '../../protocol/lsp';
import type { EndReason, ReasonEvent, Usage } from '../../protocol/thought';
import { BackendError, isCancelled } from '../backend/backendErrors';
import type { BackendChunk, BackendOptions } from '../backend/backendClient';
import { fitMaxTokens, promptTextOf } from '../backend/backendHealth';
import { directRoute, type ReplicaPool } from '../backend/replicaPool';
import { buildChatRequest, DEFAULT_QUESTION, type SamplingOptions } from '../backend/requestBuilder';
import type { PreparedImage } from '../image/imagePrep';
import { ThoughtParser, type OpenSegment } from '../thought/thoughtParser';

export interface ReasonRequest extends SamplingOptions {
  image: PreparedImage;
  question?: string;
  model?: string;
  promptPrefix?: string;
  systemPrompt?: string;
  extraBody?: Record<string, unknown>;
}

/** Continuing an interrupted session: its parser (left open) and the assistant text so far. */
export interface Continuation {
  parser: ThoughtParser;
  assistantText: string;
  model: string;
}

export interface ReasonHooks {
  /** Every event of the session, in order (the CLI's `--json` lines). */
  onEvent(event: ReasonEvent): void;
  /**
   * After each streamed chunk, with the chunk count. `open()` gives the segment being written
   * (for live rendering); it costs as much as that segment is long, so call it only when you
   * render, not on every chunk.
   */
  onProgress?(open: () => OpenSegment | null, chunks: number): void;
  /** A retry before the first byte (429, connection refused). */
  onRetry?(attempt: number, delayMs: number, reason: string): void;
  /** The request about to be sent, and then every stream chunk as received (for recordings). */
  onRequest?(body: Record<string, unknown>, model: string): void;
  onChunk?(chunk: BackendChunk): void;
  /** max_tokens lowered to fit the model's context, or a move to another replica before streaming. */
  onNotice?(notice: SessionNoticeBody): void;
  now?(): number;
}

/** Where the session goes: one base URL, or (with `pool`) one of the backend's replicas. */
export interface SessionBackend extends BackendOptions {
  /** The backend's replicas: the session takes the least busy healthy one (baseUrl is then unused). */
  pool?: ReplicaPool;
}

export interface ReasonOutcome {
  reason: EndReason;
  usage: Usage | null;
  error?: BackendError;
  parser: ThoughtParser;
  /** Set when the session stopped early (error, cancel, max tokens) with `keepOpen`: what Continue needs. */
  continuation?: Continuation;
}

export interface ReasonControl {
  /** Leave the parser open after an early stop, so the session can be continued. */
  keepOpen?: boolean;
  /** Continue this interrupted session instead of starting one. */
  continueFrom?: Continuation;
}

/**
 * One reasoning session over a prepared image: resolve the model, stream the answer, and emit
 * start → segment… → answer → end. Whatever closed before a failure is still emitted; the
 * session never throws for backend failures, it ends with reason 'error' or 'cancelled'.
 * When the model's max_model_len is known (always with a pool; without one when the model is
 * the first listed), max_tokens is lowered to fit, and onNotice says so.
 */
export async function runReasoning(
  request: ReasonRequest,
  backend: SessionBackend,
  hooks: ReasonHooks,
  control: ReasonControl = {},
): Promise<ReasonOutcome> {
  const now = hooks.now ?? (() => performance.now());
  const previous = control.continueFrom;
  const parser = previous?.parser ?? new ThoughtParser();
  const openSegment = () => parser.openSegment();
  let assistantText = previous?.assistantText ?? '';
  let model = previous?.model ?? request.model ?? '';
  const emitSegments = (segments: ReturnType<ThoughtParser['push']>) => {
    for (const s of segments) hooks.onEvent({ type: 'segment', ...s });
  };
  const { pool, ...rest } = backend;
  const options: BackendOptions = { ...rest, onRetry: hooks.onRetry ?? backend.onRetry };
  const route = pool
    ? pool.route(options, (from, to, reason) => hooks.onNotice?.({ kind: 'failover', from, to, reason }))
    : directRoute(options);
  let usage: Usage | null = null;
  let finishReason: string | undefined;
  try {
    const card = await route.resolveModel(previous ? previous.model : request.model);
    model = card.id;
    const { image } = request;
    if (!previous) hooks.onEvent({
      type: 'start', model, file: image.file,
      width: image.width, height: image.height, sentWidth: image.sentWidth, sentHeight: image.sentHeight,
      imageTokens: image.imageTokens, mime: image.mime, bytes: image.bytes,
    });
    const body = buildChatRequest({
      model,
      imageDataUrl: image.dataUrl(),
      question: request.question?.trim() || DEFAULT_QUESTION,
      promptPrefix: request.promptPrefix,
      systemPrompt: request.systemPrompt,
      temperature: request.temperature,
      top_k: request.top_k,
      top_p: request.top_p,
      repetition_penalty: request.repetition_penalty,
      max_tokens: request.max_tokens,
      extraBody: request.extraBody,
      // The partial answer goes back as the assistant's turn, and the model carries on from it.
      ...(previous ? { continueFrom: previous.assistantText } : {}),
    });
    fitToContext(body, card.max_model_len, image.imageTokens, hooks);
    hooks.onRequest?.(body, model);
    for await (const chunk of route.streamChat(body)) {
      hooks.onChunk?.(chunk);
      if (chunk.usage) usage = chunk.usage;
      if (chunk.finishReason) finishReason = chunk.finishReason;
      if (chunk.content || chunk.reasoning) {
        assistantText += (chunk.reasoning ?? '') + (chunk.content ?? '');
        emitSegments(parser.push(chunk, now()));
        hooks.onProgress?.(openSegment, parser.chunks);
      }
    }
  } catch (e) {
    const error = e instanceof BackendError ? e : new BackendError('protocol', String((e as Error)?.message ?? e));
    const reason: EndReason = isCancelled(e) ? 'cancelled' : 'error';
    // Nothing streamed is lost: closed segments were emitted; the open one stays open to be
    // continued, or is closed now.
    const continuation = control.keepOpen && model ? { parser, assistantText, model } : undefined;
    if (!continuation) emitSegments(parser.finish(now()).segments);
    hooks.onEvent(reason === 'cancelled' ? { type: 'end', reason, usage } : { type: 'end', reason, usage, error: error.message });
    return { reason, usage, error, parser, ...(continuation ? { continuation } : {}) };
  } finally {
    route.close();
  }
  if (finishReason === 'length' && control.keepOpen) {
    hooks.onEvent({ type: 'answer', ...parser.answer() });
    hooks.onEvent({ type: 'end', reason: 'length', usage });
    return { reason: 'length', usage, parser, continuation: { parser, assistantText, model } };
  }
  const { segments, answer } = parser.finish(now());
  emitSegments(segments);
  hooks.onEvent({ type: 'answer', ...answer });
  const reason: EndReason = finishReason === 'length' ? 'length' : 'stop';
  hooks.onEvent({ type: 'end', reason, usage });
  return { reason, usage, parser };
}

/** Lowers the body's max_tokens so that prompt (image, text, a continued answer) + answer fit max_model_len. */
function fitToContext(body: Record<string, unknown>, maxModelLen: number | undefined, imageTokens: number, hooks: ReasonHooks): void {
  if (typeof body.max_tokens !== 'number' || !maxModelLen) return;
  const fit = fitMaxTokens({ requested: body.max_tokens, maxModelLen, imageTokens, promptText: promptTextOf(body) });
  if (!fit.capped) return;
  body.max_tokens = fit.maxTokens;
  hooks.onNotice?.({ kind: 'maxTokensCapped', requested: fit.requested, maxTokens: fit.maxTokens, maxModelLen, promptTokens: fit.promptTokens });
}
