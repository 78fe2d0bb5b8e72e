/**
 * One item of a batch: prepare its image, send it to the backend `backendFor()` picks, parse the
 * thought, save the session's recording and turn it all into a result line. Never throws for a
 * bad image or a backend failure: those become the line's `error`.
 */
import { createHash } from 'node:crypto';
import { join, relative, resolve, sep } from 'node:path';
import { BackendError } from '../backend/backendErrors';
import type { SamplingOptions } from '../backend/requestBuilder';
import { ImageError, prepareImage, type PreparedImage } from '../image/imagePrep';
import { runReasoning } from '../reasoning/reasonSession';
import { SessionRecorder } from '../replay/sessionRecorder';
import { writeFileAtomic } from '../util/atomicWrite';
import type { BackendFor } from './backendChoice';
import type { BatchItem } from './batchInput';
import { buildResult, type BatchResult, type ErrorKind } from './batchResult';

export interface ItemContext {
  imagesDir: string;
  maxPixels?: number;
  sampling: SamplingOptions;
  /** The model to ask for; undefined: the first one the backend lists. */
  model?: string;
  backendFor: BackendFor;
  signal: AbortSignal;
  /** Where recordings go, and the folder their path in the line is relative to (RESULTS.jsonl's). */
  recordingsDir: string;
  resultsDir: string;
  now?: () => number;
}

/** The result line, or null when the item was cancelled (nothing is written: it is redone next run). */
export async function runBatchItem(item: BatchItem, ctx: ItemContext): Promise<BatchResult | null> {
  const now = ctx.now ?? (() => performance.now());
  const started = now();
  let image: PreparedImage;
  try {
    image = await prepareImage(resolve(ctx.imagesDir, item.image), { maxPixels: ctx.maxPixels });
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    return buildResult(item, {
      segments: [], boxed: [], completionTokens: null, model: null,
      finishReason: 'error', ms: now() - started, error: e.message, errorKind: 'image',
    });
  }
  if (ctx.signal.aborted) return null;

  const choice = ctx.backendFor();
  let backend = choice.label;
  let model: string | null = null;
  let maxTokensCapped: number | undefined;
  const recorder = new SessionRecorder(image, item.question);
  let sent = false;
  const outcome = await runReasoning(
    { image, question: item.question, model: ctx.model, ...ctx.sampling },
    { ...choice.backend, signal: ctx.signal },
    {
      onEvent: (e) => { if (e.type === 'start') model = e.model; },
      onNotice: (n) => {
        if (n.kind === 'failover') backend = n.to;
        else maxTokensCapped = n.maxTokens;
      },
      onRequest: (body, m) => { sent = true; recorder.requestSent(body, m); },
      onChunk: (chunk) => recorder.chunk(chunk),
      now,
    },
  );
  if (outcome.reason === 'cancelled') return null;
  let recording: string | undefined;
  if (sent) {
    const file = join(ctx.recordingsDir, recordingFileName(item.key));
    await writeFileAtomic(file, JSON.stringify(recorder.toRecording(`virgo batch: item ${item.key}`), null, 1) + '\n');
    recording = relative(ctx.resultsDir, file).split(sep).join('/');
  }
  const failed = outcome.reason === 'error';
  return buildResult(item, {
    segments: outcome.parser.segments,
    boxed: outcome.parser.answer().boxed,
    finishReason: outcome.reason,
    completionTokens: outcome.usage?.completion_tokens ?? null,
    model,
    ms: now() - started,
    backend,
    recording,
    maxTokensCapped,
    ...(failed ? { error: outcome.error?.message ?? 'The backend failed.', errorKind: errorKindOf(outcome.error) } : {}),
  });
}

/** A request the server refused for what it holds (too long, too many pixels) fails again: keep it. */
export function errorKindOf(error: BackendError | undefined): ErrorKind {
  return error?.kind === 'http' && (error.status === 400 || error.status === 413 || error.status === 422) ? 'request' : 'backend';
}

const RESERVED = /^(?:con|prn|aux|nul|com\d|lpt\d)(?:\.|$)/i;

/**
 * `<id>.json` when the id is a safe file name; otherwise the id with unsafe characters replaced and
 * a short hash of it appended, so two ids never share a file.
 */
export function recordingFileName(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_').slice(0, 96);
  if (safe === key && !RESERVED.test(key)) return `${key}.json`;
  return `${safe}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}.json`;
}
