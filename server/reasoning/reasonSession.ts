import type { EndReason, ReasonEvent, Usage } from '../../protocol/thought';
import { BackendError, isCancelled } from '../backend/backendErrors';
import { resolveModel, streamChat, type BackendChunk, type BackendOptions } from '../backend/backendClient';
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
  now?(): number;
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
 */
export async function runReasoning(
  request: ReasonRequest,
  backend: BackendOptions,
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
  const options: BackendOptions = { ...backend, onRetry: hooks.onRetry ?? backend.onRetry };
  let usage: Usage | null = null;
  let finishReason: string | undefined;
  try {
    model = previous ? previous.model : await resolveModel(options, request.model);
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
    hooks.onRequest?.(body, model);
    for await (const chunk of streamChat(options, body)) {
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
