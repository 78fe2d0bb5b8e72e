import { h, setText } from '../dom';
import { formatClock, formatCount, formatRate, plural } from '../model/format';
import type { StatsSnapshot } from '../model/liveStats';
import { REFLECTION_STYLE, REFLECTION_TYPES } from './reflectionStyle';

/** Screen readers announce every change of a live region: one update a second is plenty. */
const MIN_INTERVAL_MS = 1000;

interface Chip {
  root: HTMLElement;
  value: HTMLElement;
}

/**
 * The live stats line (tokens, rate, elapsed, reflections by type, time per phase) in an
 * aria-live="polite" region. Text nodes are only written when their text changes, and at most
 * once a second unless forced (session start and end), however often the numbers move.
 */
export class StatsView {
  readonly element: HTMLElement;
  private readonly tokens: Chip;
  private readonly rate: Chip;
  private readonly elapsed: Chip;
  private readonly reflections: Chip;
  private readonly byType: Record<string, HTMLElement> = {};
  private readonly phases: Chip;
  private lastWrite = -Infinity;
  private lastReflections = -1;

  constructor(private readonly now: () => number) {
    this.tokens = chip('tokens', 'Tokens');
    this.rate = chip('rate', 'Speed');
    this.elapsed = chip('elapsed', 'Elapsed');
    this.reflections = chip('reflections', 'Reflections');
    for (const type of REFLECTION_TYPES) {
      const style = REFLECTION_STYLE[type];
      const count = h('span', { class: 'stat__type-count', text: '0' });
      const el = h('span', { class: `stat__type stat__type--${type}`, attrs: { title: style.word } }, [
        h('span', { class: 'stat__type-icon', text: style.icon, attrs: { 'aria-hidden': 'true' } }),
        count,
        h('span', { class: 'sr-only', text: ` ${style.word.toLowerCase()}` }),
      ]);
      this.byType[type] = count;
      this.reflections.root.append(el);
    }
    this.phases = chip('phases', 'Thought / solution');
    this.element = h(
      'div',
      { class: 'stats', attrs: { 'data-role': 'stats', 'aria-live': 'polite', 'aria-label': 'Live statistics' } },
      [this.tokens.root, this.rate.root, this.elapsed.root, this.reflections.root, this.phases.root],
    );
  }

  /**
   * Writes the snapshot if a second has passed since the last write, when forced, or when a
   * reflection arrived (a new reflection is news; a moving token count is not).
   */
  update(s: StatsSnapshot, force = false): void {
    const t = this.now();
    const newReflection = s.reflectionTotal !== this.lastReflections;
    if (!force && !newReflection && t - this.lastWrite < MIN_INTERVAL_MS) return;
    this.lastWrite = t;
    this.lastReflections = s.reflectionTotal;
    setText(this.tokens.value, formatCount(s.tokens));
    this.tokens.root.title = s.usageTokens === null
      ? 'Stream chunks received (≈ tokens)'
      : `${formatCount(s.tokens)} stream chunks; the server reported ${formatCount(s.usageTokens)} completion tokens`;
    setText(this.rate.value, `${formatRate(s.tokensPerSecond)} tok/s`);
    setText(this.elapsed.value, formatClock(s.elapsedMs));
    setText(this.reflections.value, formatCount(s.reflectionTotal));
    for (const type of REFLECTION_TYPES) setText(this.byType[type], formatCount(s.reflections[type as keyof typeof s.reflections]));
    setText(this.phases.value, `${formatClock(s.thoughtMs)} / ${formatClock(s.solutionMs)}`);
    this.reflections.root.title = `${plural(s.reflectionTotal, 'reflection')}: ${REFLECTION_TYPES.map((r) => `${s.reflections[r]} ${r}`).join(', ')}`;
  }
}

function chip(name: string, label: string): Chip {
  const value = h('span', { class: 'stat__value', text: '—' });
  const root = h('span', { class: `stat stat--${name}` }, [h('span', { class: 'stat__label', text: label }), value]);
  return { root, value };
}
