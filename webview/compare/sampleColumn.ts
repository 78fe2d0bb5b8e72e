import type { SampleDivergence, SampleStatus } from '../../protocol/compare';
import type { Answer, Segment } from '../../protocol/thought';
import { button, h, setText } from '../dom';
import { formatCount } from '../model/format';
import { renderModelTex } from '../render/modelContent';
import { ThoughtView } from '../views/thoughtView';

const STATUS_TEXT: Record<SampleStatus, string> = {
  queued: 'Queued',
  streaming: 'Thinking…',
  done: 'Done',
  length: 'Stopped at max tokens',
  cancelled: 'Stopped',
  error: 'Failed',
};

/** Where a sample's answer stands against the others. */
export type AnswerStanding = 'majority' | 'minority' | 'tie' | 'none' | 'pending';

const STANDING_TEXT: Record<AnswerStanding, string> = {
  majority: 'majority', minority: 'minority', tie: 'tie', none: 'no answer', pending: 'no answer yet',
};

export interface ColumnActions {
  jumpToDivergence(column: SampleColumn): void;
  open(column: SampleColumn): void;
}

/**
 * One sample: <section aria-label="Sample 3"> with its status, its boxed answer (badged against the
 * majority), "Jump to divergence" and "Open in panel", and its segments as the reasoning panel's
 * list (ThoughtView: the same <li data-index data-kind data-reflection aria-label> and renderer).
 * The first segment where it parts from the others is marked data-diverges="true" with a visible
 * label; the prefix every sample shares is data-shared="true".
 */
export class SampleColumn {
  readonly element: HTMLElement;
  readonly thought = new ThoughtView();
  private readonly status: HTMLElement;
  private readonly answer: HTMLElement;
  private readonly jumpButton: HTMLButtonElement;
  private readonly openButton: HTMLButtonElement;
  private segments = 0;
  private chunks = 0;
  ended = false;
  /** The segment this column's stepping is on. */
  current: number | null = null;
  /** This trace's first divergent segment, when known. */
  divergesAt: number | null = null;
  /** Segments before this index are in the prefix every sample shares. */
  private shared = 0;
  /** Segments before this index carry the right data-shared mark. */
  private markedUpTo = 0;

  constructor(readonly sample: number, actions: ColumnActions) {
    const name = `Sample ${sample + 1}`;
    this.status = h('span', { class: 'status', attrs: { 'data-role': 'status', 'data-status': 'queued' }, text: STATUS_TEXT.queued });
    this.answer = h('div', { class: 'sample__answer', attrs: { 'data-role': 'answer', 'data-agreement': 'pending' } }, [
      h('span', { class: 'sample__standing', text: STANDING_TEXT.pending }),
    ]);
    this.jumpButton = button('Jump to divergence', { class: 'button button--secondary', title: 'Go to the first step where this sample parts from the others (d)', keys: 'd' });
    this.openButton = button('Open in panel', { class: 'button button--secondary', title: 'Open this sample as a full session in a reasoning panel' });
    this.jumpButton.dataset.action = 'divergence';
    this.openButton.dataset.action = 'open';
    this.jumpButton.disabled = true;
    this.openButton.disabled = true;
    this.jumpButton.addEventListener('click', () => actions.jumpToDivergence(this));
    this.openButton.addEventListener('click', () => actions.open(this));
    this.thought.element.setAttribute('aria-label', `${name}: thought`);
    this.thought.element.setAttribute('tabindex', '0');
    this.thought.element.classList.add('sample__thought');
    this.element = h('section', { class: 'sample', attrs: { 'aria-label': name, 'data-sample': sample } }, [
      h('header', { class: 'sample__header' }, [
        h('div', { class: 'sample__title' }, [h('h2', { class: 'sample__name', text: name }), this.status]),
        this.answer,
        h('div', { class: 'sample__actions' }, [this.jumpButton, this.openButton]),
      ]),
      this.thought.element,
    ]);
  }

  get count(): number { return this.thought.count; }

  setStatus(status: SampleStatus, detail?: string): void {
    this.status.dataset.status = status;
    setText(this.status, detail ? `${STATUS_TEXT[status]} (${detail})` : this.statusText(status));
    if (detail) this.status.title = detail;
  }

  private statusText(status: SampleStatus): string {
    const counts = this.segments ? ` · ${formatCount(this.segments)} segments` : '';
    const tokens = status === 'streaming' && this.chunks ? ` · ${formatCount(this.chunks)} tokens` : '';
    return `${STATUS_TEXT[status]}${counts}${tokens}`;
  }

  progress(chunks: number): void {
    this.chunks = chunks;
    if (this.status.dataset.status === 'streaming') setText(this.status, this.statusText('streaming'));
  }

  appendSegments(segments: readonly Segment[], divergence: SampleDivergence | null): void {
    this.thought.appendClosed(segments);
    this.segments = this.thought.count;
    const status = this.status.dataset.status as SampleStatus;
    if (status === 'streaming') setText(this.status, this.statusText(status));
    if (divergence) this.markDivergence(divergence);
  }

  showAnswer(answer: Answer): void {
    const box = h('div', { class: 'sample__box' }, answer.boxed.map((tex) => renderModelTex(tex)));
    this.answer.replaceChildren(this.answer.firstChild ?? h('span', { class: 'sample__standing' }), ...(answer.boxed.length ? [box] : []));
  }

  end(): void {
    this.ended = true;
    this.openButton.disabled = false;
    const status = this.status.dataset.status as SampleStatus;
    setText(this.status, this.statusText(status));
  }

  setStanding(standing: AnswerStanding): void {
    this.answer.dataset.agreement = standing;
    const badge = this.answer.querySelector('.sample__standing');
    if (badge) setText(badge, STANDING_TEXT[standing]);
  }

  /** Marks the shared prefix and this trace's first divergent step (again as segments arrive). */
  markDivergence(d: SampleDivergence): void {
    const at = d.perTrace[this.sample] ?? null;
    if (at !== this.divergesAt) {
      const old = this.divergesAt === null ? undefined : this.thought.item(this.divergesAt);
      if (old) {
        old.removeAttribute('data-diverges');
        old.querySelector('.diverge-label')?.remove();
      }
      this.divergesAt = at;
    }
    if (at !== null) {
      const li = this.thought.item(at);
      if (li && li.dataset.diverges !== 'true') {
        li.dataset.diverges = 'true';
        li.querySelector('.segment__body')?.prepend(h('span', { class: 'diverge-label', text: 'diverges here' }));
      }
    }
    this.element.dataset.divergesAt = at === null ? 'none' : String(at);
    this.jumpButton.disabled = at === null;
    this.jumpButton.title = at === null
      ? 'Another sample carries this whole trace: it never goes its own way'
      : 'Go to the first step where this sample parts from the others (d)';
    // Only segments whose mark can have changed are touched: this runs for every segment that
    // arrives once the first agreement is known, and a thought can have hundreds.
    const shared = d.diverged ? d.commonPrefix : Number.MAX_SAFE_INTEGER;
    const from = shared === this.shared ? this.markedUpTo : Math.min(this.shared, shared, this.markedUpTo);
    for (let i = from; i < this.count; i++) {
      const li = this.thought.item(i);
      if (!li) continue;
      if (i < shared) li.dataset.shared = 'true';
      else delete li.dataset.shared;
    }
    this.shared = shared;
    this.markedUpTo = this.count;
  }

  /** Moves this column's stepping to a segment (clamped); returns it to focus. */
  goTo(index: number): HTMLLIElement | null {
    if (this.count === 0) return null;
    const i = Math.max(0, Math.min(index, this.count - 1));
    this.current = i;
    return this.thought.setCurrent(i);
  }
}
