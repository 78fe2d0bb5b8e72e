/**
 * One line of `virgo batch`'s RESULTS.jsonl: what users' scripts and `virgo report` read.
 * Fields are only ever added, never renamed.
 */
import type { EndReason, Segment } from '../../protocol/thought';
import { isCorrect } from './answerMatch';
import type { BatchItem } from './batchInput';

export interface ReflectionCounts {
  verify: number;
  backtrack: number;
  alternative: number;
  total: number;
}

/**
 * Why an item has no answer. 'image': the image was refused before sending; 'request': the backend
 * refused this item's request (HTTP 400, 413, 422: too many tokens, too many pixels); both would
 * fail again. 'backend': the backend failed (down, 5xx, dropped, timed out, wrong key): such lines
 * are dropped and the item redone when the batch is run again.
 */
export type ErrorKind = 'image' | 'request' | 'backend';

export interface BatchResult {
  id: string | number;
  question: string;
  /** The image as given in the data (relative to --images). */
  image: string;
  /** The gold answer, or null. */
  answer: string | null;
  /** Every \boxed{} content of the answer, in order. */
  boxed: string[];
  /** true / false against the gold answer; null without one, or when the item failed. */
  correct: boolean | null;
  /** Stream chunks (≈ tokens) of the thought phase. */
  thoughtTokens: number;
  /** Reflection paragraphs of the thought, by type. */
  reflections: ReflectionCounts;
  /** Thought paragraphs that are plain steps. */
  steps: number;
  /** The server's completion_tokens, when it reported usage. */
  completionTokens: number | null;
  model: string | null;
  /** stop, length (hit --max-tokens), error, or cancelled. */
  finishReason: EndReason;
  /** Wall time of the item, image preparation included. */
  ms: number;
  /** The backend base URL it went to (no credentials); with several replicas, only when it moved to one. */
  backend?: string;
  /** max_tokens as sent, when it was lowered to fit the model's context (max_model_len). */
  maxTokensCapped?: number;
  /** The session's recording, relative to the folder of RESULTS.jsonl; absent when nothing was sent. */
  recording?: string;
  error?: string;
  errorKind?: ErrorKind;
}

export function countReflections(segments: readonly Segment[]): ReflectionCounts {
  const counts: ReflectionCounts = { verify: 0, backtrack: 0, alternative: 0, total: 0 };
  for (const s of segments) {
    if (s.phase !== 'thought' || s.kind !== 'reflection' || !s.reflection) continue;
    counts[s.reflection]++;
    counts.total++;
  }
  return counts;
}

export interface Outcome {
  segments: readonly Segment[];
  boxed: string[];
  finishReason: EndReason;
  completionTokens: number | null;
  model: string | null;
  ms: number;
  backend?: string;
  recording?: string;
  maxTokensCapped?: number;
  error?: string;
  errorKind?: ErrorKind;
}

export function buildResult(item: BatchItem, o: Outcome): BatchResult {
  const thought = o.segments.filter((s) => s.phase === 'thought');
  const failed = o.error !== undefined;
  return {
    id: item.id,
    question: item.question,
    image: item.image,
    answer: item.answer,
    boxed: o.boxed,
    correct: item.answer === null || failed ? null : isCorrect(o.boxed, item.answer),
    thoughtTokens: thought.reduce((sum, s) => sum + s.tokens, 0),
    reflections: countReflections(thought),
    steps: thought.filter((s) => s.kind === 'step').length,
    completionTokens: o.completionTokens,
    model: o.model,
    finishReason: o.finishReason,
    ms: Math.round(o.ms),
    ...(o.backend ? { backend: o.backend } : {}),
    ...(o.recording ? { recording: o.recording } : {}),
    ...(o.maxTokensCapped !== undefined ? { maxTokensCapped: o.maxTokensCapped } : {}),
    ...(failed ? { error: o.error, errorKind: o.errorKind ?? 'backend' } : {}),
  };
}

/** A failed line that a later run should redo rather than keep. */
export function shouldRedo(r: Pick<BatchResult, 'errorKind' | 'error'>): boolean {
  return r.error !== undefined && (r.errorKind === undefined || r.errorKind === 'backend');
}
