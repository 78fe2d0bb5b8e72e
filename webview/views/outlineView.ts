import type { Segment } from '../../protocol/thought';
import { h } from '../dom';

/** Above this many marks they are too thin for gaps between them; CSS switches to a dense look. */
const DENSE_FROM = 80;

/**
 * The mini-map: a narrow strip beside the thought with one mark per closed segment, coloured by
 * reflection type, the current one highlighted; clicking a mark jumps to its segment. Marks are
 * only ever appended (one insertion per batch) so it stays cheap with thousands of segments.
 * Hidden from screen readers: everything it does is reachable from the toolbar and keys.
 */
export class OutlineView {
  readonly element: HTMLElement;
  private readonly marks: HTMLElement;
  private items: HTMLElement[] = [];
  private current: HTMLElement | null = null;

  constructor(onJump: (index: number) => void) {
    this.marks = h('div', { class: 'outline__marks' });
    this.element = h('div', { class: 'outline', attrs: { 'aria-hidden': 'true', title: 'Outline: click to jump' } }, [this.marks]);
    this.element.addEventListener('click', (e) => {
      const mark = (e.target as Element).closest<HTMLElement>('.mark');
      if (mark?.dataset.index !== undefined) onJump(Number(mark.dataset.index));
    });
  }

  reset(): void {
    this.marks.replaceChildren();
    this.items = [];
    this.current = null;
    this.element.classList.remove('is-dense');
  }

  append(segments: readonly Segment[]): void {
    const fragment = document.createDocumentFragment();
    for (const s of segments) {
      if (this.items[s.index]) continue;
      const type = s.kind === 'reflection' && s.reflection ? s.reflection : s.phase === 'solution' ? 'solution' : 'step';
      const mark = h('div', { class: `mark mark--${type}`, attrs: { 'data-index': s.index } });
      this.items[s.index] = mark;
      fragment.append(mark);
    }
    this.marks.append(fragment);
    if (this.items.length >= DENSE_FROM) this.element.classList.add('is-dense');
  }

  setCurrent(index: number | null): void {
    const next = index === null ? null : this.items[index] ?? null;
    if (next === this.current) return;
    this.current?.classList.remove('is-current');
    next?.classList.add('is-current');
    this.current = next;
  }
}
