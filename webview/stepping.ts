import type { Segment } from '../protocol/thought';
import { commandForKey, isTypingTarget } from './keyboard';
import { plural } from './model/format';
import { Navigator, type NavCommand, type NavResult } from './model/navigation';
import type { AnswerView } from './views/answerView';
import type { OutlineView } from './views/outlineView';
import type { ThoughtView } from './views/thoughtView';
import type { ToolbarView } from './views/toolbarView';

export interface SteppingViews {
  scroller: HTMLElement;
  thought: ThoughtView;
  outline: OutlineView;
  answer: AnswerView;
  toolbar: ToolbarView;
}

/** How far from the bottom still counts as "at the live end" (a line or two of slack). */
const BOTTOM_SLACK_PX = 24;
/** A scroll up by less than this is layout settling, not the user. */
const USER_SCROLL_PX = 8;

/**
 * Reading the thought: applies the pure Navigator's positions to the DOM (aria-current, dimming,
 * focus, scrolling, outline, toolbar) and owns "following" the live stream. Following stops as soon
 * as the user steps or scrolls up, and resumes with F / the Follow button, or by scrolling back to
 * the bottom while not stepping.
 */
export class Stepping {
  readonly nav = new Navigator();
  /** scrollTop after our last scroll to the end; a user scroll shows up as a smaller value. */
  private autoTop = 0;
  private hint: string | null = null;
  private hintTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly v: SteppingViews, private readonly isLive: () => boolean) {
    v.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    v.scroller.addEventListener('wheel', (e) => { if (e.deltaY < 0) this.userScrolledUp(); }, { passive: true });
  }

  reset(): void {
    this.nav.reset();
    this.autoTop = 0;
    this.hint = null;
    this.apply({ current: null, following: true, moved: false }, false);
  }

  add(segments: readonly Segment[]): void {
    this.nav.add(segments);
  }

  setAnswer(present: boolean): void {
    this.nav.setAnswer(present);
  }

  /** Keyboard entry point; returns true when the key was a stepping command and was used. */
  handleKey(e: KeyboardEvent): boolean {
    if (isTypingTarget(e.target)) return false;
    const command = commandForKey(e);
    if (!command) return false;
    if (command === 'leave' && this.nav.current === null) return false; // Escape stays VS Code's
    this.command(command);
    return true;
  }

  command(command: NavCommand): void {
    const anchor = this.nav.current === null && command !== 'follow' ? this.anchor() : undefined;
    const result = this.nav.apply(command, anchor);
    if (!result.moved && (command === 'nextReflection' || command === 'prevReflection')) {
      this.showHint(command === 'nextReflection' ? 'No later reflection' : 'No earlier reflection');
    }
    this.apply(result, command !== 'follow' && command !== 'leave');
    if (command === 'follow') this.scrollToEnd();
  }

  goTo(index: number): void {
    this.apply(this.nav.goTo(index), true);
  }

  /** Once per frame after new content: keep the live end in view when following (last: it reads layout). */
  afterFrame(): void {
    this.updateToolbar();
    if (this.nav.following && this.nav.current === null) this.scrollToEnd();
  }

  updateToolbar(): void {
    const n = this.nav;
    this.v.toolbar.update({
      segments: n.segmentCount,
      reflections: n.reflectionIndices.length,
      hasAnswer: n.hasAnswer,
      following: n.following,
      live: this.isLive(),
      position: this.hint ?? this.positionText(),
    });
  }

  private positionText(): string {
    const n = this.nav;
    const cur = n.current;
    if (cur === 'answer') return 'Answer';
    if (cur !== null) {
      const label = this.v.thought.item(cur)?.getAttribute('aria-label') ?? `Segment ${cur + 1}`;
      const cost = this.v.thought.cost(cur);
      return `${label} · ${cur + 1} of ${n.segmentCount}${cost ? ` · ${cost}` : ''}`;
    }
    if (this.isLive() && n.following) return 'Following the live stream';
    if (n.segmentCount === 0) return '';
    return `${plural(n.segmentCount, 'segment')} · ${plural(n.reflectionIndices.length, 'reflection')}`;
  }

  private apply(result: NavResult, focus: boolean): void {
    const cur = result.current;
    const index = typeof cur === 'number' ? cur : null;
    const li = this.v.thought.setCurrent(index);
    this.v.answer.setCurrent(cur === 'answer');
    this.v.outline.setCurrent(index);
    this.v.thought.setStepping(cur !== null);
    const target = cur === 'answer' ? this.v.answer.element : li;
    if (focus && target) {
      // Focus first: it makes a content-visibility:auto segment render before we measure for the scroll.
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: 'nearest' });
    }
    this.updateToolbar();
  }

  /**
   * Where stepping starts when not stepping yet: the live end when following, else the first
   * segment whose bottom is below the top of the viewport. Layout reads only (bisection), no writes.
   */
  private anchor(): number | undefined {
    const count = this.nav.segmentCount;
    if (count === 0) return undefined;
    if (this.nav.following) return count - 1;
    const top = this.v.scroller.getBoundingClientRect().top;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const el = this.v.thought.item(mid);
      if (el && el.getBoundingClientRect().bottom <= top + 1) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private scrollToEnd(): void {
    const s = this.v.scroller;
    // The live end is the open segment's last line, not the blank room reserved below it.
    s.scrollTop = Math.max(0, s.scrollHeight - s.clientHeight - this.v.thought.unusedRoomPx);
    this.autoTop = s.scrollTop;
  }

  private onScroll(): void {
    const s = this.v.scroller;
    const top = s.scrollTop;
    const fromBottom = s.scrollHeight - top - s.clientHeight;
    if (this.nav.following) {
      if (top < this.autoTop - USER_SCROLL_PX && fromBottom > BOTTOM_SLACK_PX) this.userScrolledUp();
    } else if (this.isLive() && this.nav.current === null && fromBottom <= BOTTOM_SLACK_PX) {
      // Back at the live end by scrolling (not stepping): pick the stream up again.
      this.nav.apply('follow');
      this.autoTop = top;
      this.updateToolbar();
    }
  }

  private userScrolledUp(): void {
    if (!this.nav.following || !this.isLive()) return;
    this.nav.stopFollowing();
    this.updateToolbar();
  }

  private showHint(text: string): void {
    this.hint = text;
    this.updateToolbar();
    clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => {
      this.hint = null;
      this.updateToolbar();
    }, 1500);
  }
}
