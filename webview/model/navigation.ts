import type { SegmentKind } from '../../protocol/thought';

/** What the user can ask for while reading the thought (keys and toolbar buttons map onto these). */
export type NavCommand =
  | 'next'
  | 'prev'
  | 'nextReflection'
  | 'prevReflection'
  | 'first'
  | 'last'
  | 'answer'
  | 'follow'
  | 'leave';

/** A closed segment's index, the answer card, or null when not stepping. */
export type NavPosition = number | 'answer' | null;

export interface NavResult {
  current: NavPosition;
  following: boolean;
  /** False when the command had nowhere to go (e.g. no further reflection): the view can say so. */
  moved: boolean;
}

/**
 * Stepping through the closed segments of one thought, plus the answer card. Pure state: the view
 * applies the result (aria-current, focus, scrolling). Segments arrive in index order and only grow,
 * so reflections are kept as a sorted index list and searched by bisection: cheap at 10k segments.
 */
export class Navigator {
  private count = 0;
  private reflections: number[] = [];
  private answer = false;
  private position: NavPosition = null;
  private follow = true;

  get current(): NavPosition { return this.position; }
  get following(): boolean { return this.follow; }
  get segmentCount(): number { return this.count; }
  get reflectionIndices(): readonly number[] { return this.reflections; }
  get hasAnswer(): boolean { return this.answer; }

  reset(): void {
    this.count = 0;
    this.reflections = [];
    this.answer = false;
    this.position = null;
    this.follow = true;
  }

  /** Registers closed segments; indices are expected to be contiguous from 0. */
  add(segments: ReadonlyArray<{ index: number; kind: SegmentKind }>): void {
    for (const s of segments) {
      if (s.index < this.count) continue; // a re-sent segment: already known
      if (s.kind === 'reflection') this.reflections.push(s.index);
      this.count = s.index + 1;
    }
  }

  setAnswer(present: boolean): void {
    this.answer = present;
    if (!present && this.position === 'answer') this.position = null;
  }

  /** The user scrolled away from the live end: stop auto-scrolling, keep any stepping position. */
  stopFollowing(): void {
    this.follow = false;
  }

  /**
   * Applies a command. `anchor` is where stepping starts when not stepping yet (the segment the
   * user is looking at); without it, forward commands start at the top and backward ones at the end.
   */
  apply(command: NavCommand, anchor?: number): NavResult {
    const before = this.position;
    if (command === 'follow') {
      this.position = null;
      this.follow = true;
      return this.result(true);
    }
    if (command === 'leave') {
      this.position = null;
      return this.result(before !== null);
    }
    const target = this.target(command, anchor);
    if (target === undefined) return this.result(false);
    this.position = target;
    this.follow = false;
    return this.result(target !== before || before === null);
  }

  /** Jumps to a segment picked directly (outline mark, gutter click). */
  goTo(index: number): NavResult {
    if (this.count === 0) return this.result(false);
    const target = Math.max(0, Math.min(index, this.count - 1));
    const moved = target !== this.position;
    this.position = target;
    this.follow = false;
    return this.result(moved);
  }

  private target(command: NavCommand, anchor: number | undefined): NavPosition | undefined {
    const last = this.count - 1;
    const cur = this.position;
    const clampedAnchor = anchor === undefined ? undefined : Math.max(0, Math.min(anchor, last));
    switch (command) {
      case 'next':
        if (cur === 'answer') return 'answer';
        if (cur === null) return this.count > 0 ? clampedAnchor ?? 0 : this.answerOr(undefined);
        if (cur < last) return cur + 1;
        return this.answerOr(cur);
      case 'prev':
        if (cur === 'answer') return this.count > 0 ? last : 'answer';
        if (cur === null) return this.count > 0 ? clampedAnchor ?? last : this.answerOr(undefined);
        return Math.max(0, cur - 1);
      case 'nextReflection': {
        if (cur === 'answer') return undefined;
        const from = cur === null ? (clampedAnchor ?? 0) : cur + 1;
        return this.reflectionAtOrAfter(from);
      }
      case 'prevReflection': {
        const from = cur === 'answer' ? last : cur === null ? (clampedAnchor ?? last) : cur - 1;
        return this.reflectionAtOrBefore(from);
      }
      case 'first':
        return this.count > 0 ? 0 : undefined;
      case 'last':
        return this.count > 0 ? last : undefined;
      case 'answer':
        return this.answer ? 'answer' : undefined;
      default:
        return undefined;
    }
  }

  private answerOr(fallback: NavPosition | undefined): NavPosition | undefined {
    return this.answer ? 'answer' : fallback;
  }

  private reflectionAtOrAfter(from: number): number | undefined {
    const r = this.reflections;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < r.length ? r[lo] : undefined;
  }

  private reflectionAtOrBefore(from: number): number | undefined {
    const r = this.reflections;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[mid] <= from) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? r[lo - 1] : undefined;
  }

  private result(moved: boolean): NavResult {
    return { current: this.position, following: this.follow, moved };
  }
}
