import type { ImageCard } from '../../protocol/webviewMessages';
import { button, h, setHidden, setText } from '../dom';
import { formatBytes, formatCount } from '../model/format';

export interface ComposeActions {
  ask(question: string): void;
  backToThought(): void;
}

const MAX_RECENT = 5;

/**
 * Before anything is sent: the image (thumbnail, sizes and visual-token cost), the question box
 * and recent questions. Without an image it shows how to get one in (command, paste, drop).
 */
export class ComposeView {
  readonly element: HTMLElement;
  private readonly card: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly thumb: HTMLImageElement;
  private readonly name: HTMLElement;
  private readonly sent: HTMLElement;
  private readonly original: HTMLElement;
  private readonly backend: HTMLElement;
  private readonly textarea: HTMLTextAreaElement;
  private readonly askButton: HTMLButtonElement;
  private readonly recent: HTMLElement;
  private readonly recentList: HTMLElement;
  private readonly error: HTMLElement;
  private readonly back: HTMLButtonElement;
  private image: { name: string; url: string } | null = null;

  constructor(private readonly actions: ComposeActions) {
    this.thumb = h('img', { class: 'image-card__thumb', attrs: { alt: '' } });
    this.name = h('h2', { class: 'image-card__name' });
    this.sent = h('p', { class: 'image-card__sent' });
    this.original = h('p', { class: 'image-card__original' });
    this.backend = h('p', { class: 'image-card__backend' });
    this.card = h('div', { class: 'image-card' }, [
      h('div', { class: 'image-card__frame' }, [this.thumb]),
      h('div', { class: 'image-card__info' }, [this.name, this.sent, this.original, this.backend]),
    ]);
    this.empty = h('div', { class: 'compose__empty' }, [
      h('h2', { class: 'compose__empty-title', text: 'Reason about an image' }),
      h('p', { text: 'Run “Virgo: Reason about Image” on an image file, or paste (Ctrl+V / ⌘V) or drop an image anywhere in this panel.' }),
    ]);
    this.textarea = h('textarea', {
      class: 'ask__input',
      attrs: {
        id: 'virgo-question',
        rows: 3,
        placeholder: 'Ask about the image… or leave empty and Virgo solves (or describes) what the figure asks',
        'aria-describedby': 'virgo-question-hint',
      },
    });
    this.askButton = button('Ask Virgo', { class: 'button button--primary ask__submit' });
    this.recentList = h('ul', { class: 'recent__list' });
    this.recent = h('div', { class: 'recent', attrs: { hidden: true } }, [
      h('h3', { class: 'recent__title', text: 'Recent questions', attrs: { id: 'virgo-recent-title' } }),
      this.recentList,
    ]);
    this.recentList.setAttribute('aria-labelledby', 'virgo-recent-title');
    this.error = h('div', { class: 'compose__error', attrs: { role: 'alert' } });
    this.back = button('← Back to the thought', { class: 'link-button compose__back' });
    this.back.hidden = true;
    const ask = h('div', { class: 'ask' }, [
      h('label', { class: 'ask__label', text: 'Question', attrs: { for: 'virgo-question' } }),
      this.textarea,
      h('div', { class: 'ask__row' }, [
        h('span', { class: 'ask__hint', text: 'Enter to ask · Shift+Enter for a new line', attrs: { id: 'virgo-question-hint' } }),
        this.askButton,
      ]),
      this.recent,
    ]);
    this.element = h('section', { class: 'compose', attrs: { 'aria-label': 'Ask about the image' } }, [
      this.back,
      this.empty,
      this.card,
      ask,
      this.error,
    ]);
    this.card.hidden = true;
    ask.hidden = true;
    this.askButton.addEventListener('click', () => this.submit());
    this.textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.ctrlKey && !e.altKey && !e.metaKey) {
        e.preventDefault();
        this.submit();
      }
    });
    this.recentList.addEventListener('click', (e) => {
      const b = (e.target as Element).closest<HTMLButtonElement>('button[data-question]');
      if (!b) return;
      this.textarea.value = b.dataset.question ?? '';
      this.textarea.focus();
    });
    this.back.addEventListener('click', () => actions.backToThought());
  }

  get hasImage(): boolean { return this.image !== null; }
  get imageName(): string | null { return this.image?.name ?? null; }
  get imageUrl(): string | null { return this.image?.url ?? null; }

  /** A new image; returns the blob: URL it replaced (the caller decides when that can be revoked). */
  showImage(image: ImageCard, thumbUrl: string, recentQuestions: readonly string[], backendLabel: string): string | null {
    const previous = this.image?.url ?? null;
    this.image = { name: image.name, url: thumbUrl };
    const i = image.info;
    this.thumb.src = thumbUrl;
    this.thumb.alt = `Preview of ${image.name}`;
    setText(this.name, image.name);
    setText(this.sent, `${i.sentWidth}×${i.sentHeight} sent · ${formatCount(i.imageTokens)} visual tokens · ${formatBytes(i.bytes)}`);
    setText(this.original, i.width === i.sentWidth && i.height === i.sentHeight
      ? `Original ${i.width}×${i.height}, sent as is`
      : `Original ${i.width}×${i.height}, resized for Qwen2-VL`);
    setText(this.backend, backendLabel ? `Backend: ${backendLabel}` : '');
    setHidden(this.backend, !backendLabel);
    this.recentList.replaceChildren(
      ...recentQuestions.slice(0, MAX_RECENT).map((q) =>
        h('li', {}, [h('button', { class: 'recent__item', text: q, attrs: { type: 'button', 'data-question': q, title: q } })]),
      ),
    );
    setHidden(this.recent, recentQuestions.length === 0);
    setHidden(this.card, false);
    setHidden(this.textarea.parentElement!, false);
    setHidden(this.empty, true);
    this.clearError();
    this.setBusy(false);
    return previous;
  }

  showError(message: string): void {
    setText(this.error, message);
    this.error.classList.add('is-visible');
    this.setBusy(false);
  }

  clearError(): void {
    setText(this.error, '');
    this.error.classList.remove('is-visible');
  }

  setBusy(busy: boolean): void {
    this.askButton.disabled = busy;
    setText(this.askButton, busy ? 'Asking…' : 'Ask Virgo');
  }

  /** Offers the way back to a thought that is still there behind the compose view. */
  setCanGoBack(can: boolean): void {
    setHidden(this.back, !can);
  }

  focusQuestion(): void {
    if (!this.textarea.closest('[hidden]')) this.textarea.focus();
  }

  private submit(): void {
    if (!this.image || this.askButton.disabled) return;
    this.setBusy(true);
    this.clearError();
    this.actions.ask(this.textarea.value.trim());
  }
}
