import type { SampleAgreement } from '../../protocol/compare';
import { h, setText } from '../dom';
import { renderModelTex } from '../render/modelContent';

/** "2 samples", "1 sample". */
export function samplesText(n: number): string {
  return `${n} ${n === 1 ? 'sample' : 'samples'}`;
}

/** "4 of 5 samples (80%)". */
export function shareText(count: number, total: number): string {
  return `${count} of ${samplesText(total)} (${Math.round((count / Math.max(total, 1)) * 100)}%)`;
}

/**
 * The agreement over the boxed answers, in an aria-live region: the majority answer (KaTeX) and its
 * share, the other answer groups with their counts, samples without an answer, a tie marked.
 * Rebuilt whole on each update: a handful of elements, a few times per run.
 */
export class AgreementView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly heading: HTMLElement;

  constructor() {
    this.heading = h('h2', { class: 'agreement__heading', text: 'Agreement', attrs: { id: 'agreement-heading' } });
    this.body = h('div', { class: 'agreement__body' }, [h('p', { class: 'agreement__waiting', text: 'Waiting for the first sample to finish…' })]);
    this.element = h('section', {
      class: 'agreement',
      attrs: { 'data-role': 'agreement', 'aria-live': 'polite', 'aria-labelledby': 'agreement-heading', 'data-final': 'false' },
    }, [this.heading, this.body]);
  }

  reset(): void {
    this.element.dataset.final = 'false';
    delete this.element.dataset.tie;
    setText(this.heading, 'Agreement');
    this.body.replaceChildren(h('p', { class: 'agreement__waiting', text: 'Waiting for the first sample to finish…' }));
  }

  /** `ended`: which samples have finished (an unfinished one without an answer is "still running", not "no answer"). */
  show(a: SampleAgreement, ended: readonly boolean[], final: boolean): void {
    const total = ended.length;
    const done = ended.filter(Boolean).length;
    this.element.dataset.final = String(final);
    if (a.tie) this.element.dataset.tie = 'true';
    else delete this.element.dataset.tie;
    setText(this.heading, final ? 'Agreement' : `Agreement so far (${done} of ${total} finished)`);
    const parts: Node[] = [];
    const majority = a.majority;
    if (!majority) {
      parts.push(h('p', { class: 'agreement__none', attrs: { 'data-role': 'majority' }, text: final ? 'No sample boxed an answer.' : done ? 'No sample has boxed an answer yet.' : 'Waiting for the first sample to finish…' }));
    } else {
      const label = a.tie ? 'Tie: no single majority. Leading answer' : 'Majority answer';
      parts.push(h('div', { class: 'agreement__majority', attrs: { 'data-role': 'majority' } }, [
        h('span', { class: 'agreement__label', text: label }),
        h('div', { class: 'agreement__answer', attrs: { 'data-role': 'majority-answer' } }, [renderModelTex(majority.answer)]),
        h('span', { class: 'agreement__share', attrs: { 'data-role': 'share' }, text: shareText(majority.traces.length, total) }),
        h('span', { class: 'agreement__who', text: `Samples ${majority.traces.map((t) => t + 1).join(', ')}` }),
      ]));
    }
    const others = a.groups.slice(1);
    if (others.length) {
      parts.push(h('ul', { class: 'agreement__groups', attrs: { 'aria-label': 'Other answers', 'data-role': 'other-groups' } }, others.map((g) =>
        h('li', { class: 'agreement__group', attrs: { 'data-count': g.traces.length, 'data-tie': a.tie && g.traces.length === majority?.traces.length ? 'true' : undefined } }, [
          h('div', { class: 'agreement__answer agreement__answer--other' }, [renderModelTex(g.answer)]),
          h('span', { class: 'agreement__count', text: `${samplesText(g.traces.length)} (sample ${g.traces.map((t) => t + 1).join(', ')})` }),
        ]))));
    }
    const noAnswer = a.unanswered.filter((t) => ended[t]);
    const running = a.unanswered.filter((t) => !ended[t]);
    const notes: string[] = [];
    if (noAnswer.length) notes.push(`${samplesText(noAnswer.length)} without an answer`);
    if (running.length) notes.push(`${samplesText(running.length)} still running`);
    if (notes.length) parts.push(h('p', { class: 'agreement__notes', attrs: { 'data-role': 'unanswered', 'data-no-answer': noAnswer.length }, text: notes.join(' · ') }));
    this.body.replaceChildren(...parts);
  }
}
