import type { Segment } from '../../protocol/thought';
import type { OpenSegmentView } from '../../protocol/webviewMessages';
import { h } from '../dom';
import { formatCount, formatDuration } from '../model/format';
import { SegmentLabeler, type SegmentLabel } from '../../protocol/segmentLabels';
import { fillWithMarkdown } from '../render/modelContent';
import { REFLECTION_STYLE } from './reflectionStyle';

type Shown = Pick<Segment, 'index' | 'phase' | 'kind' | 'reflection'>;

/** The open segment's reserved height grows in these steps (media/panel.css has a rule per step). */
const ROOM_STEP_PX = 160;
const ROOM_STEPS = 20;
/**
 * Segments per chunk: the list's <li>s sit in groups (role="none" wrappers the accessibility tree
 * skips), so appending one re-lays out its group and steps over the others, instead of walking
 * every segment of a 30k-token thought each frame.
 */
const CHUNK_SIZE = 32;
/** The <li>'s vertical padding plus a little slack, on top of its body's height. */
const ROOM_PADDING_PX = 24;

/**
 * The thought as an ordered list, one <li> per segment. The DOM contract (tests and screen readers
 * rely on it): each <li> has data-index, data-phase, data-kind, data-reflection (reflections only)
 * and an aria-label ("Step 3", "Reflection 2, backtrack", "Solution step 1"); the still-streaming
 * segment is one extra <li data-open="true"> at the end, replaced when its segment closes.
 * Closed segments are rendered once and never touched again except for aria-current. The <li>s
 * are grouped in chunks of CHUNK_SIZE (`ol.thought > div.thought__chunk[role=none] > li`).
 */
export class ThoughtView {
  readonly element: HTMLOListElement;
  private readonly labeler = new SegmentLabeler();
  private items: HTMLLIElement[] = [];
  /** The last chunk, where new segments and the open one go, and how many closed ones it holds. */
  private chunk: HTMLElement | null = null;
  private chunkFill = 0;
  /** "42 tokens · 1.2 s" per closed segment, for the hover title and the stepping read-out. */
  private costs: string[] = [];
  private pending: HTMLLIElement | null = null;
  private pendingContent: HTMLElement | null = null;
  private pendingBody: HTMLElement | null = null;
  private room = 0;
  /** The open segment's text changed since its room was last sized (only then is layout read). */
  private roomStale = false;
  /** Blank reserved space below the open segment's text, for scrolling to the live end. */
  unusedRoomPx = 0;
  /** What the open segment was last rendered from, so an unchanged frame costs nothing. */
  private pendingText: string | null = null;
  private pendingKey = '';
  private sawSolution = false;
  private current: HTMLLIElement | null = null;

  constructor() {
    this.element = h('ol', { class: 'thought', attrs: { 'aria-label': 'Thought' } });
  }

  reset(): void {
    this.element.replaceChildren();
    this.chunk = null;
    this.chunkFill = 0;
    this.element.classList.remove('is-stepping');
    this.labeler.reset();
    this.items = [];
    this.costs = [];
    this.dropPending();
    this.sawSolution = false;
    this.current = null;
  }

  get count(): number { return this.items.length; }

  item(index: number): HTMLLIElement | undefined {
    return this.items[index];
  }

  cost(index: number): string | undefined {
    return this.costs[index];
  }

  /** Appends closed segments (before the open one, if any); re-sent ones are ignored. */
  appendClosed(segments: readonly Segment[]): void {
    for (const s of segments) {
      if (this.items[s.index]) continue;
      const label = this.labeler.next(s);
      const { li, content } = this.build(s, label);
      const cost = `${tokensText(s.tokens)} · ${formatDuration(s.ms)}`;
      li.title = `${label.label} · ${cost}`;
      this.costs[s.index] = cost;
      fillWithMarkdown(content, s.text);
      this.items[s.index] = li;
      if (this.pending && Number(this.pending.dataset.index) <= s.index) this.dropPending();
      const chunk = this.lastChunk(true);
      if (this.pending) chunk.insertBefore(li, this.pending);
      else chunk.append(li);
      this.chunkFill++;
    }
  }

  /** The chunk new segments go to; with `forClosed`, a fresh one once the last is full (the open segment moves along). */
  private lastChunk(forClosed = false): HTMLElement {
    if (!this.chunk || (forClosed && this.chunkFill >= CHUNK_SIZE)) {
      this.chunk = h('div', { class: 'thought__chunk', attrs: { role: 'none' } });
      this.chunkFill = 0;
      this.element.append(this.chunk);
      if (this.pending) this.chunk.append(this.pending);
    }
    return this.chunk;
  }

  /** Shows (or clears) the segment being written. Called at most once per frame. */
  showOpen(open: OpenSegmentView | null): void {
    if (!open || this.items[open.index]) {
      if (this.pending) this.dropPending();
      return;
    }
    const key = `${open.index}|${open.phase}|${open.kind}|${open.reflection}`;
    if (!this.pending || key !== this.pendingKey) {
      // The open segment's identity changed (new index, or its opening words reclassified it).
      const { li, content, body } = this.build(open, this.labeler.peek(open), true);
      if (this.pending) this.pending.replaceWith(li);
      else this.lastChunk().append(li);
      this.pending = li;
      this.pendingContent = content;
      this.pendingBody = body;
      this.room = 0;
      this.pendingKey = key;
      this.pendingText = null;
    }
    if (this.pendingText !== open.text && this.pendingContent) {
      this.pendingText = open.text;
      fillWithMarkdown(this.pendingContent, open.text);
      this.roomStale = true;
    }
  }

  /**
   * Sizes the open segment's reserved room (see media/panel.css): a segment growing inside its
   * room lays out alone, so the cost of a frame does not grow with the length of the thought.
   * Reads layout: call after the frame's DOM writes.
   */
  fitOpen(): void {
    const li = this.pending;
    const body = this.pendingBody;
    if (!li || !body || li.dataset.partial) {
      this.unusedRoomPx = 0;
      return;
    }
    if (!this.roomStale) return;
    this.roomStale = false;
    const needed = body.offsetHeight + ROOM_PADDING_PX;
    let room = Math.ceil(needed / ROOM_STEP_PX);
    if (room > ROOM_STEPS) room = 0; // taller than any room: plain flow
    if (room !== this.room) {
      this.room = room;
      if (room) li.dataset.room = String(room);
      else delete li.dataset.room;
    }
    this.unusedRoomPx = room ? room * ROOM_STEP_PX - needed : 0;
  }

  /**
   * The stream ended with text still open (an error or a stop): keep it readable, marked as
   * incomplete, but no longer "open". A late `segments` message can still replace it.
   */
  freezeOpen(): void {
    const li = this.pending;
    if (!li) return;
    li.removeAttribute('data-open');
    li.removeAttribute('aria-busy');
    li.dataset.partial = 'true';
    delete li.dataset.room;
    this.room = 0;
    this.unusedRoomPx = 0;
    li.classList.remove('segment--open');
    li.classList.add('segment--partial');
    li.setAttribute('aria-label', `${li.getAttribute('aria-label') ?? 'Segment'} (incomplete)`);
  }

  /** Continue: the frozen partial segment is being written again. */
  unfreezeOpen(): void {
    const li = this.pending;
    if (!li || li.dataset.partial !== 'true') return;
    delete li.dataset.partial;
    li.dataset.open = 'true';
    li.setAttribute('aria-busy', 'true');
    li.classList.remove('segment--partial');
    li.classList.add('segment--open');
    li.setAttribute('aria-label', (li.getAttribute('aria-label') ?? 'Segment').replace(/ \(incomplete\)$/, ''));
  }

  /** Marks the stepping position (or none); returns the element to focus. */
  setCurrent(index: number | null): HTMLLIElement | null {
    const next = index === null ? null : this.items[index] ?? null;
    if (next === this.current) return next;
    this.current?.removeAttribute('aria-current');
    next?.setAttribute('aria-current', 'step');
    this.current = next;
    return next;
  }

  setStepping(on: boolean): void {
    this.element.classList.toggle('is-stepping', on);
  }

  private dropPending(): void {
    this.pending?.remove();
    this.pending = null;
    this.pendingContent = null;
    this.pendingBody = null;
    this.pendingKey = '';
    this.pendingText = null;
    this.room = 0;
    this.unusedRoomPx = 0;
  }

  private build(s: Shown, label: SegmentLabel, open = false): { li: HTMLLIElement; content: HTMLElement; body: HTMLElement } {
    const reflection = s.kind === 'reflection' ? s.reflection : null;
    const li = h('li', {
      class: `segment segment--${label.series}${reflection ? ` segment--${reflection}` : ''}${open ? ' segment--open' : ''}`,
      attrs: {
        'data-index': s.index,
        'data-phase': s.phase,
        'data-kind': s.kind,
        'data-reflection': reflection ?? undefined,
        'data-open': open ? 'true' : undefined,
        'aria-busy': open ? 'true' : undefined,
        'aria-label': label.label,
        tabindex: -1,
      },
    });
    // The phase divider is drawn by CSS on the first solution segment: a separator <li> would be
    // announced as a list item and break the list's numbering.
    if (s.phase === 'solution' && !this.sawSolution) {
      li.classList.add('segment--phase-start');
      if (!open) this.sawSolution = true;
    }
    const marker = reflection ? REFLECTION_STYLE[reflection].icon : String(label.ordinal);
    const gutter = h('div', { class: 'segment__gutter', attrs: { 'aria-hidden': 'true' } }, [
      h('span', { class: 'segment__marker', text: marker }),
    ]);
    const content = h('div', { class: 'segment__content md' });
    const body = h('div', { class: 'segment__body' });
    if (reflection) {
      const style = REFLECTION_STYLE[reflection];
      body.append(h('div', { class: 'segment__head', attrs: { 'aria-hidden': 'true' } }, [
        h('span', { class: `badge badge--${reflection}` }, [
          h('span', { class: 'badge__icon', text: style.icon }),
          h('span', { class: 'badge__word', text: style.word }),
        ]),
        h('span', { class: 'segment__ordinal', text: `Reflection ${label.ordinal}` }),
      ]));
    }
    body.append(content);
    li.append(gutter, body);
    return { li, content, body };
  }
}

function tokensText(tokens: number): string {
  return `${formatCount(tokens)} ${tokens === 1 ? 'token' : 'tokens'}`;
}
