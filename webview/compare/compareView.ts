import type { CompareSamplesResult, HostToCompare, SampleDivergence } from '../../protocol/compare';
import { button, h, setHidden, setText } from '../dom';
import { isTypingTarget } from '../keyboard';
import { interceptLinks } from '../render/links';
import { AgreementView } from './agreementView';
import { compareKeyCommand } from './compareKeys';
import type { CompareHost } from './compareMessages';
import { SampleColumn, type AnswerStanding } from './sampleColumn';

/**
 * The compare page: the run's question and a Stop button, the agreement, then one column per
 * sample side by side (horizontally scrollable). Keys: j/k (or ↓/↑) step within the focused
 * column, h/l (or ←/→) move to the previous/next column at the same step, d goes to the column's
 * divergence, g/G its first/last step.
 */
export class CompareView {
  readonly root: HTMLElement;
  private readonly title: HTMLElement;
  private readonly question: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly agreement = new AgreementView();
  private readonly columnsEl: HTMLElement;
  private readonly announce: HTMLElement;
  private columns: SampleColumn[] = [];
  private divergence: SampleDivergence | null = null;
  private result: CompareSamplesResult | null = null;
  /** The column keys act on when focus is outside every column. */
  private activeColumn = 0;
  private final = false;
  private readonly listening = new AbortController();

  constructor(container: HTMLElement, private readonly host: CompareHost) {
    this.title = h('h1', { class: 'compare__title', text: 'Compare samples' });
    this.question = h('p', { class: 'compare__question' });
    this.meta = h('p', { class: 'compare__meta' });
    this.stopButton = button('Stop all', { class: 'button button--secondary', title: 'Stop every sample still running (their traces so far stay)' });
    this.stopButton.addEventListener('click', () => host.post({ type: 'stop' }));
    this.columnsEl = h('div', { class: 'compare__columns', attrs: { 'data-role': 'columns' } });
    this.announce = h('p', { class: 'sr-only', attrs: { 'aria-live': 'polite', 'data-role': 'announce' } });
    this.root = h('main', { class: 'compare' }, [
      h('header', { class: 'compare__header' }, [
        h('div', { class: 'compare__titles' }, [this.title, this.question, this.meta]),
        h('div', { class: 'compare__actions' }, [this.stopButton]),
      ]),
      this.agreement.element,
      h('p', { class: 'compare__keys', text: 'Keys: j / k step within a sample · h / l (← / →) move between samples · d jumps to where the sample diverges' }),
      this.columnsEl,
      this.announce,
    ]);
    container.append(this.root);
    interceptLinks(this.root, (href) => host.post({ type: 'openLink', href }));
    container.ownerDocument.addEventListener('keydown', (e) => this.onKey(e), { signal: this.listening.signal });
  }

  dispose(): void {
    this.listening.abort();
    this.root.remove();
  }

  handle(m: HostToCompare): void {
    switch (m.type) {
      case 'init': return this.init(m.question, m.imageName, m.count, m.temperature);
      case 'status': this.columns[m.sample]?.setStatus(m.status, m.detail); return;
      case 'progress': this.columns[m.sample]?.progress(m.chunks); return;
      case 'segments': this.columns[m.sample]?.appendSegments(m.segments, this.divergence); return;
      case 'answer': this.columns[m.sample]?.showAnswer(m.answer); this.updateStandings(); return;
      case 'end':
        this.columns[m.sample]?.end();
        this.updateStandings();
        setHidden(this.stopButton, this.columns.every((c) => c.ended));
        return;
      case 'agreement': return this.showAgreement(m.result, m.final);
    }
  }

  private init(question: string, imageName: string, count: number, temperature: number): void {
    setText(this.title, `Compare ${count} samples`);
    setText(this.question, question.trim() || 'Solve what the figure asks');
    setText(this.meta, `${imageName} · temperature ${temperature}`);
    this.agreement.reset();
    this.divergence = null;
    this.result = null;
    this.final = false;
    this.activeColumn = 0;
    this.columns = Array.from({ length: count }, (_, i) => new SampleColumn(i, {
      jumpToDivergence: (c) => this.goToDivergence(c),
      open: (c) => this.host.post({ type: 'openSample', sample: c.sample }),
    }));
    this.columnsEl.replaceChildren(...this.columns.map((c) => c.element));
    setHidden(this.stopButton, false);
  }

  private showAgreement(result: CompareSamplesResult, final: boolean): void {
    this.result = result;
    this.final = final;
    this.divergence = result.divergence;
    this.agreement.show(result.agreement, this.columns.map((c) => c.ended), final);
    for (const c of this.columns) c.markDivergence(result.divergence);
    this.updateStandings();
  }

  private updateStandings(): void {
    const a = this.result?.agreement;
    for (const c of this.columns) {
      const group = a?.groups.findIndex((g) => g.traces.includes(c.sample)) ?? -1;
      let standing: AnswerStanding;
      if (group < 0) standing = c.ended && a && a.unanswered.includes(c.sample) ? 'none' : 'pending';
      else if (a!.tie && a!.groups[group].traces.length === a!.groups[0].traces.length) standing = 'tie';
      else standing = group === 0 ? 'majority' : 'minority';
      c.setStanding(standing);
    }
  }

  /** The column keys act on: the one holding focus, else the last one used. */
  private focusedColumn(): SampleColumn | undefined {
    const section = (this.root.ownerDocument.activeElement as Element | null)?.closest?.('section[data-sample]');
    const i = section ? Number((section as HTMLElement).dataset.sample) : this.activeColumn;
    return this.columns[i] ?? this.columns[0];
  }

  private onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || isTypingTarget(e.target)) return;
    const command = compareKeyCommand(e);
    const column = this.focusedColumn();
    if (!command || !column) return;
    e.preventDefault();
    switch (command) {
      case 'next': this.step(column, column.current === null ? 0 : column.current + 1); return;
      case 'prev': this.step(column, column.current === null ? 0 : column.current - 1); return;
      case 'first': this.step(column, 0); return;
      case 'last': this.step(column, column.count - 1); return;
      case 'divergence': this.goToDivergence(column); return;
      case 'prevColumn': this.moveColumn(column, -1); return;
      case 'nextColumn': this.moveColumn(column, 1); return;
    }
  }

  /** Steps a column to a segment and focuses it. */
  private step(column: SampleColumn, index: number): void {
    this.activeColumn = column.sample;
    const li = column.goTo(index);
    if (!li) {
      column.thought.element.focus();
      this.say(`Sample ${column.sample + 1} has no segments yet`);
      return;
    }
    li.focus({ preventScroll: true });
    li.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  /** To the previous/next column, at the same step (the closest it has), to compare them side by side. */
  private moveColumn(from: SampleColumn, delta: number): void {
    const to = this.columns[from.sample + delta];
    if (!to) return;
    to.element.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    this.step(to, from.current ?? to.current ?? 0);
  }

  private goToDivergence(column: SampleColumn): void {
    if (column.divergesAt === null) {
      this.activeColumn = column.sample;
      this.say(this.divergence
        ? `Sample ${column.sample + 1} never goes its own way: another sample carries its whole trace`
        : 'Where the samples diverge is known once the first sample finishes');
      return;
    }
    this.step(column, column.divergesAt);
    this.say(`Sample ${column.sample + 1} diverges at ${column.thought.item(column.divergesAt)?.getAttribute('aria-label') ?? 'this step'}`);
  }

  private say(text: string): void {
    setText(this.announce, text);
  }

  /** For tests: whether the final agreement arrived. */
  get isFinal(): boolean { return this.final; }
}
