import type { Segment } from '../../protocol/thought';
import { h } from '../dom';

export type MarkKind = 'step' | 'solution' | 'verify' | 'backtrack' | 'alternative';

const KINDS: readonly MarkKind[] = ['step', 'solution', 'verify', 'backtrack', 'alternative'];
/** Below this many marks there is a gap between them; above, they touch. */
const DENSE_FROM = 80;
const MAX_MARK_PX = 8;

/** The geometry of the strip: marks stack from the top, each at most 8 px, shrinking to fit. */
export function markPitch(count: number, height: number): { size: number; gap: number } {
  if (count === 0 || height <= 0) return { size: MAX_MARK_PX, gap: 2 };
  const gap = count < DENSE_FROM ? 2 : 0;
  const size = Math.min(MAX_MARK_PX, Math.max(0, (height - gap * (count - 1)) / count));
  return { size, gap };
}

/** Which mark a click `y` px from the top of a strip `height` px tall falls on, or null. */
export function markAt(y: number, height: number, count: number): number | null {
  if (count === 0) return null;
  const { size, gap } = markPitch(count, height);
  const index = Math.floor(y / (size + gap || 1));
  return index >= 0 && index < count ? index : null;
}

/**
 * The mini-map: a narrow strip beside the thought with one mark per closed segment, coloured by
 * reflection type, the current one highlighted; clicking a mark jumps to its segment. It is one
 * <canvas> redrawn at most once a frame, not an element per segment: thousands of marks in the DOM
 * made every frame's layout and paint grow with the thought. Colours come from the same CSS classes
 * (.mark--verify …) read off hidden probes, so themes apply. Hidden from screen readers: everything
 * it does is reachable from the toolbar and keys. `data-marks` / `data-current` say what it shows.
 */
export class OutlineView {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly probes: Record<MarkKind | 'current', HTMLElement>;
  private kinds: MarkKind[] = [];
  private current: number | null = null;
  private colors: Record<MarkKind | 'current', string> | null = null;
  private drawPending = false;

  constructor(onJump: (index: number) => void) {
    this.canvas = h('canvas', { class: 'outline__canvas' });
    const probe = (cls: string) => h('span', { class: `mark ${cls}`, attrs: { hidden: true } });
    this.probes = {
      step: probe('mark--step'), solution: probe('mark--solution'), verify: probe('mark--verify'),
      backtrack: probe('mark--backtrack'), alternative: probe('mark--alternative'), current: probe('is-current'),
    };
    this.element = h('div', { class: 'outline', attrs: { 'aria-hidden': 'true', title: 'Outline: click to jump', 'data-marks': 0 } },
      [this.canvas, ...Object.values(this.probes)]);
    this.canvas.addEventListener('click', (e) => {
      const index = markAt(e.offsetY, this.canvas.clientHeight, this.kinds.length);
      if (index !== null) onJump(index);
    });
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.scheduleDraw()).observe(this.canvas);
    // A theme change restyles the marks: read the colours again.
    if (typeof MutationObserver === 'function') {
      new MutationObserver(() => { this.colors = null; this.scheduleDraw(); })
        .observe(document.body, { attributes: true, attributeFilter: ['class'] });
    }
  }

  /** What each mark shows, in segment order (for tests and the click mapping). */
  get marks(): readonly MarkKind[] { return this.kinds; }

  reset(): void {
    this.kinds = [];
    this.current = null;
    this.element.dataset.marks = '0';
    delete this.element.dataset.current;
    this.scheduleDraw();
  }

  append(segments: readonly Segment[]): void {
    for (const s of segments) {
      if (s.index < this.kinds.length) continue;
      this.kinds[s.index] = s.kind === 'reflection' && s.reflection ? s.reflection : s.phase === 'solution' ? 'solution' : 'step';
    }
    this.element.dataset.marks = String(this.kinds.length);
    this.scheduleDraw();
  }

  setCurrent(index: number | null): void {
    if (index === this.current) return;
    this.current = index;
    if (index === null) delete this.element.dataset.current;
    else this.element.dataset.current = String(index);
    this.scheduleDraw();
  }

  private scheduleDraw(): void {
    if (this.drawPending || typeof requestAnimationFrame !== 'function') return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.draw();
    });
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const colors = (this.colors ??= this.readColors());
    const { size, gap } = markPitch(this.kinds.length, height);
    const pitch = size + gap;
    // Steps first, then reflections over them: in a dense strip a reflection must stay visible.
    for (const reflections of [false, true]) {
      for (let i = 0; i < this.kinds.length; i++) {
        const kind = this.kinds[i];
        const isReflection = kind !== 'step' && kind !== 'solution';
        if (isReflection !== reflections) continue;
        ctx.fillStyle = colors[kind];
        const inset = isReflection ? 0 : 3;
        ctx.fillRect(inset, i * pitch, width - 2 * inset, isReflection ? Math.max(1, size) : size);
      }
    }
    if (this.current !== null && this.current < this.kinds.length) {
      const y = this.current * pitch + size / 2;
      const h3 = Math.max(3, size);
      ctx.fillStyle = colors.current;
      ctx.fillRect(0, y - h3 / 2, width, h3);
    }
  }

  private readColors(): Record<MarkKind | 'current', string> {
    const out = {} as Record<MarkKind | 'current', string>;
    for (const kind of [...KINDS, 'current'] as const) {
      // Hidden probes still have a computed style.
      out[kind] = getComputedStyle(this.probes[kind]).backgroundColor || 'gray';
    }
    return out;
  }
}
