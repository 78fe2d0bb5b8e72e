/**
 * "Sample N times": N traces of one question at temperature > 0, compared. The language server's
 * `compareSamples` result (shapes of server/eval/sampleAgreement.ts) and the messages between the
 * extension and the compare webview.
 */
import type { Answer, EndReason, Segment } from './thought';

/** Traces that gave equivalent answers. */
export interface SampleAnswerGroup {
  /** The answer as the group's first trace wrote it (its boxes joined by ", "). */
  answer: string;
  /** Indices of the traces (samples) that gave it, in order. */
  traces: number[];
  /** traces.length / N, N counting traces without an answer too. */
  share: number;
}

export interface SampleAgreement {
  /** Largest first; equal sizes in order of first appearance. */
  groups: SampleAnswerGroup[];
  /** groups[0], or null when no trace boxed an answer. */
  majority: SampleAnswerGroup | null;
  /** The majority's share of all N traces (0 when none). */
  share: number;
  /** The two largest groups are the same size: no single majority. */
  tie: boolean;
  /** Traces that boxed nothing (cut off, not finished yet, or no \boxed{}). */
  unanswered: number[];
}

export interface SampleDivergence {
  /** Segments every trace shares from the start: the index of the first step where they part. */
  commonPrefix: number;
  /** False when every trace is the same, segment for segment. */
  diverged: boolean;
  /** Per trace: its first segment no other trace shares at that point, or null when it never goes its own way. */
  perTrace: Array<number | null>;
  /** pairwise[a][b]: segments traces a and b share from the start. */
  pairwise: number[][];
}

export interface CompareSamplesParams {
  /** Per sample: its boxed answers (empty when none, or not finished). */
  boxed: string[][];
  /** Per sample: its closed segments, in order. */
  traces: Segment[][];
}
export interface CompareSamplesResult {
  agreement: SampleAgreement;
  divergence: SampleDivergence;
}

/** Where one sample is. */
export type SampleStatus = 'queued' | 'streaming' | 'done' | 'length' | 'cancelled' | 'error';

/** Extension → compare webview. Samples are numbered from 0 (shown from 1). */
export type HostToCompare =
  /** The run: what is asked, how many samples, at which temperature (clears any previous run). */
  | { type: 'init'; question: string; imageName: string; count: number; temperature: number }
  | { type: 'status'; sample: number; status: SampleStatus; detail?: string }
  /** Streamed tokens so far of a running sample. */
  | { type: 'progress'; sample: number; chunks: number }
  /** Segments of a sample that closed, in order. */
  | { type: 'segments'; sample: number; segments: Segment[] }
  | { type: 'answer'; sample: number; answer: Answer }
  | { type: 'end'; sample: number; reason: EndReason; error?: string }
  /** Agreement over all N samples; `final` once every sample has ended. */
  | { type: 'agreement'; result: CompareSamplesResult; final: boolean };

/** Compare webview → extension. */
export type CompareToHost =
  | { type: 'ready' }
  /** Stop every running sample. */
  | { type: 'stop' }
  /** Open one (ended) sample as a full session in a reasoning panel. */
  | { type: 'openSample'; sample: number }
  /** A link in model output: the host confirms with the user and opens only http(s). */
  | { type: 'openLink'; href: string };
