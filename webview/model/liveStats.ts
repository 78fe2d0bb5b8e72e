import type { Phase, ReflectionType, Usage } from '../../protocol/thought';

export interface StatsSnapshot {
  running: boolean;
  /** Stream chunks received (≈ tokens). */
  tokens: number;
  /** Completion tokens reported by the server at the end, when it reported usage. */
  usageTokens: number | null;
  /** Chunks per second over the time the model was writing; null until there is enough to say. */
  tokensPerSecond: number | null;
  /** Since the request went out. */
  elapsedMs: number;
  /** Wall-clock time spent in each phase, from the first chunk. */
  thoughtMs: number;
  solutionMs: number;
  steps: number;
  reflections: Record<ReflectionType, number>;
  reflectionTotal: number;
}

/** Below this much writing time a rate is mostly noise (one batch of chunks over a few ms). */
const MIN_RATE_WINDOW_MS = 400;

/**
 * The numbers in the live stats line, from the messages as they arrive. Times are taken on the
 * webview's own clock when messages arrive (`now` is injected): the host may run on another
 * machine (remote development) whose clock we cannot compare with ours.
 */
export class LiveStats {
  private startedAt = 0;
  private endedAt: number | null = null;
  private firstChunkAt: number | null = null;
  private lastChunkAt: number | null = null;
  private solutionAt: number | null = null;
  private chunks = 0;
  private usage: Usage | null = null;
  private steps = 0;
  private reflections: Record<ReflectionType, number> = { verify: 0, backtrack: 0, alternative: 0 };

  begin(now: number): void {
    this.startedAt = now;
    this.endedAt = null;
    this.firstChunkAt = null;
    this.lastChunkAt = null;
    this.solutionAt = null;
    this.chunks = 0;
    this.usage = null;
    this.steps = 0;
    this.reflections = { verify: 0, backtrack: 0, alternative: 0 };
  }

  /** A `progress` message: the chunk counter and the phase being written, if any. */
  progress(chunks: number, phase: Phase | null, now: number): void {
    if (chunks > this.chunks) {
      if (this.firstChunkAt === null) this.firstChunkAt = now;
      this.lastChunkAt = now;
      this.chunks = chunks;
    }
    if (phase === 'solution') this.markSolution(now);
  }

  /** Closed segments (each counted once by the caller). */
  segments(segments: ReadonlyArray<{ phase: Phase; reflection: ReflectionType | null }>, now: number): void {
    for (const s of segments) {
      if (s.phase === 'solution') {
        this.markSolution(now);
      } else if (s.reflection) {
        this.reflections[s.reflection]++;
      } else {
        this.steps++;
      }
    }
  }

  /** Continue: the clock runs again from where it stopped, counts carry on. */
  resume(): void {
    this.endedAt = null;
  }

  finish(now: number, usage: Usage | null): void {
    if (this.endedAt === null) this.endedAt = now;
    this.usage = usage;
  }

  snapshot(now: number): StatsSnapshot {
    const running = this.endedAt === null;
    const until = this.endedAt ?? now;
    const writingUntil = running ? now : (this.lastChunkAt ?? until);
    let rate: number | null = null;
    if (this.firstChunkAt !== null) {
      const window = writingUntil - this.firstChunkAt;
      if (window >= MIN_RATE_WINDOW_MS) rate = this.chunks / (window / 1000);
    }
    const from = this.firstChunkAt ?? until;
    const thoughtEnd = this.solutionAt ?? until;
    const r = this.reflections;
    return {
      running,
      tokens: this.chunks,
      usageTokens: this.usage?.completion_tokens ?? null,
      tokensPerSecond: rate,
      elapsedMs: Math.max(0, until - this.startedAt),
      thoughtMs: Math.max(0, thoughtEnd - from),
      solutionMs: this.solutionAt === null ? 0 : Math.max(0, until - this.solutionAt),
      steps: this.steps,
      reflections: { ...r },
      reflectionTotal: r.verify + r.backtrack + r.alternative,
    };
  }

  private markSolution(now: number): void {
    if (this.solutionAt === null) this.solutionAt = now;
  }
}
