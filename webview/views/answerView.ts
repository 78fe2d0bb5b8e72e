import type { Answer } from '../../protocol/thought';
import { button, h, setHidden } from '../dom';
import { renderModelMarkdown, renderModelTex } from '../render/modelContent';

export interface AnswerActions {
  copyAnswer(): void;
  copyThought(): void;
}

/**
 * The answer card (data-role="answer"): the boxed answer(s) as display math, the solution text
 * below, and the copy buttons. Focusable (tabindex -1) so stepping can land on it.
 */
export class AnswerView {
  readonly element: HTMLElement;
  private readonly boxed: HTMLElement;
  private readonly solution: HTMLElement;
  private readonly solutionWrap: HTMLElement;
  private readonly copyAnswerButton: HTMLButtonElement;

  constructor(actions: AnswerActions) {
    this.copyAnswerButton = button('Copy answer', { class: 'button button--secondary', title: 'Copy the boxed answer (TeX)' });
    const copyThought = button('Copy thought as Markdown', { class: 'button button--secondary' });
    this.copyAnswerButton.addEventListener('click', () => { actions.copyAnswer(); flash(this.copyAnswerButton); });
    copyThought.addEventListener('click', () => { actions.copyThought(); flash(copyThought); });
    this.boxed = h('div', { class: 'answer__boxed' });
    this.solution = h('div', { class: 'answer__solution md' });
    this.solutionWrap = h('div', { class: 'answer__solution-wrap' }, [
      h('h3', { class: 'answer__subheading', text: 'Solution' }),
      this.solution,
    ]);
    this.element = h(
      'section',
      { class: 'answer', attrs: { 'data-role': 'answer', tabindex: -1, 'aria-labelledby': 'virgo-answer-heading', hidden: true } },
      [
        h('header', { class: 'answer__header' }, [
          h('h2', { class: 'answer__heading', text: 'Answer', attrs: { id: 'virgo-answer-heading' } }),
          h('div', { class: 'answer__actions' }, [this.copyAnswerButton, copyThought]),
        ]),
        this.boxed,
        this.solutionWrap,
      ],
    );
  }

  reset(): void {
    this.boxed.replaceChildren();
    this.solution.replaceChildren();
    this.element.removeAttribute('aria-current');
    setHidden(this.element, true);
  }

  show(answer: Answer): void {
    this.boxed.replaceChildren();
    if (answer.boxed.length === 0) {
      this.boxed.append(h('p', { class: 'answer__none', text: 'The model gave no boxed answer; its solution is below.' }));
    }
    for (const tex of answer.boxed) {
      this.boxed.append(h('div', { class: 'answer__box' }, [renderModelTex(tex)]));
    }
    setHidden(this.copyAnswerButton, answer.boxed.length === 0 && !answer.text.trim());
    this.solution.replaceChildren(renderModelMarkdown(answer.text));
    setHidden(this.solutionWrap, !answer.text.trim());
    setHidden(this.element, false);
  }

  setCurrent(on: boolean): void {
    if (on) this.element.setAttribute('aria-current', 'step');
    else this.element.removeAttribute('aria-current');
  }
}

/** Brief "Copied" feedback: the host writes the clipboard, so this is optimistic by design. */
function flash(b: HTMLButtonElement): void {
  const text = b.dataset.label ?? b.textContent ?? '';
  b.dataset.label = text;
  b.textContent = 'Copied';
  b.classList.add('is-done');
  setTimeout(() => {
    b.textContent = text;
    b.classList.remove('is-done');
  }, 1500);
}
