import { button, h, setHidden, setText } from '../dom';

export type SessionStatus = 'waiting' | 'thinking' | 'solving' | 'retrying' | 'done' | 'length' | 'cancelled' | 'error';

const STATUS_TEXT: Record<SessionStatus, string> = {
  waiting: 'Waiting for the model…',
  thinking: 'Thinking…',
  solving: 'Writing the solution…',
  retrying: 'Retrying…',
  done: 'Done',
  length: 'Stopped at max tokens',
  cancelled: 'Stopped',
  error: 'Failed',
};

export interface HeaderActions {
  stop(): void;
  retry(): void;
  newQuestion(): void;
  copyThought(): void;
}

/** The session's header: the question, model and image, a status pill, and Stop / Retry / New question. */
export class SessionHeader {
  readonly element: HTMLElement;
  private readonly thumb: HTMLImageElement;
  private readonly question: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly status: HTMLElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly retryButton: HTMLButtonElement;
  private readonly newButton: HTMLButtonElement;
  private readonly copyButton: HTMLButtonElement;

  constructor(actions: HeaderActions) {
    this.thumb = h('img', { class: 'session__thumb', attrs: { alt: '', hidden: true } });
    this.question = h('h1', { class: 'session__question' });
    this.meta = h('span', { class: 'session__meta' });
    this.status = h('span', { class: 'status', attrs: { 'data-status': 'waiting' } });
    this.stopButton = button('Stop', { class: 'button button--secondary', title: 'Stop the model (the thought so far stays)' });
    this.retryButton = button('Retry', { class: 'button', title: 'Ask the same question again' });
    this.newButton = button('New question', { class: 'button button--secondary', title: 'Ask something else about this image' });
    this.copyButton = button('Copy thought', { class: 'button button--secondary', title: 'Copy the thought so far as Markdown' });
    this.stopButton.addEventListener('click', () => actions.stop());
    this.retryButton.addEventListener('click', () => actions.retry());
    this.newButton.addEventListener('click', () => actions.newQuestion());
    this.copyButton.addEventListener('click', () => actions.copyThought());
    this.element = h('header', { class: 'session__header' }, [
      this.thumb,
      h('div', { class: 'session__titles' }, [this.question, h('div', { class: 'session__sub' }, [this.status, this.meta])]),
      h('div', { class: 'session__actions' }, [this.stopButton, this.retryButton, this.copyButton, this.newButton]),
    ]);
  }

  begin(question: string, thumbUrl: string | null, imageName: string | null): void {
    const q = question.trim();
    setText(this.question, q || 'Solve what the figure asks');
    this.question.classList.toggle('is-implicit', !q);
    this.question.title = q;
    if (thumbUrl) {
      this.thumb.src = thumbUrl;
      this.thumb.alt = imageName ? `Image: ${imageName}` : 'Image';
    }
    setHidden(this.thumb, !thumbUrl);
    setText(this.meta, imageName ?? '');
    this.setStatus('waiting');
  }

  setMeta(parts: string[]): void {
    setText(this.meta, parts.filter(Boolean).join(' · '));
  }

  /** `retryInNotice`: the error notice already offers Retry, so the header does not repeat it. */
  setStatus(status: SessionStatus, opts: { canAskAgain?: boolean; hasAnswer?: boolean; retryInNotice?: boolean } = {}): void {
    if (this.status.dataset.status !== status) this.status.dataset.status = status;
    setText(this.status, STATUS_TEXT[status]);
    const live = status === 'waiting' || status === 'thinking' || status === 'solving' || status === 'retrying';
    setHidden(this.stopButton, !live);
    setHidden(this.retryButton, live || !!opts.retryInNotice);
    setHidden(this.newButton, live || !opts.canAskAgain);
    setHidden(this.copyButton, live || !!opts.hasAnswer);
  }
}
