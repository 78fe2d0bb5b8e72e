import type { ErrorAction } from '../../protocol/webviewMessages';
import { button, h } from '../dom';

const ACTION_LABEL: Record<ErrorAction, string> = {
  continue: 'Continue',
  openSettings: 'Open Settings',
  setApiKey: 'Set API Key',
  checkBackend: 'Check Backend',
  retry: 'Retry',
  showLog: 'Show Log',
};

export type NoticeKind = 'error' | 'warning' | 'info';

/**
 * One message about the session's state: an error (role="alert", with buttons for what the user can
 * do about it), a warning (max tokens) or an info line (stopped, retrying). Showing a new notice
 * replaces the old one; the region is empty and hidden otherwise.
 */
export class NoticeView {
  readonly element: HTMLElement;

  constructor(private readonly onAction: (action: ErrorAction) => void) {
    this.element = h('div', { class: 'notices' });
  }

  clear(): void {
    this.element.replaceChildren();
  }

  show(kind: NoticeKind, title: string, detail?: string, actions: readonly ErrorAction[] = []): void {
    const notice = h('div', {
      class: `notice notice--${kind}`,
      attrs: { role: kind === 'error' ? 'alert' : 'status', 'data-kind': kind },
    });
    const icon = kind === 'error' ? '⨯' : kind === 'warning' ? '!' : 'i';
    const text = h('div', { class: 'notice__text' }, [h('strong', { class: 'notice__title', text: title })]);
    if (detail) text.append(h('span', { class: 'notice__detail', text: detail }));
    notice.append(h('span', { class: 'notice__icon', text: icon, attrs: { 'aria-hidden': 'true' } }), text);
    if (actions.length > 0) {
      const row = h('div', { class: 'notice__actions' });
      actions.forEach((action, i) => {
        const b = button(ACTION_LABEL[action], { class: i === 0 ? 'button' : 'button button--secondary' });
        b.dataset.action = action;
        b.addEventListener('click', () => this.onAction(action));
        row.append(b);
      });
      notice.append(row);
    }
    this.element.replaceChildren(notice);
  }
}
