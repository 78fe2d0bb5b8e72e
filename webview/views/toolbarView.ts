import { button, h, setHidden, setText } from '../dom';
import type { NavCommand } from '../model/navigation';

interface ToolSpec {
  command: NavCommand;
  icon: string;
  text: string;
  label: string;
  /** Shown in the tooltip. */
  hint: string;
  /** aria-keyshortcuts syntax. */
  keys: string;
}

const TOOLS: ToolSpec[] = [
  { command: 'first', icon: '⤒', text: 'First', label: 'First segment', hint: 'G / Home', keys: 'g Home' },
  { command: 'prev', icon: '↑', text: 'Prev', label: 'Previous segment', hint: 'K / ↑', keys: 'k ArrowUp' },
  { command: 'next', icon: '↓', text: 'Next', label: 'Next segment', hint: 'J / ↓', keys: 'j ArrowDown' },
  { command: 'last', icon: '⤓', text: 'Last', label: 'Last segment', hint: 'Shift+G / End', keys: 'Shift+G End' },
  { command: 'prevReflection', icon: '◂', text: 'Reflection', label: 'Previous reflection', hint: 'P', keys: 'p Shift+N' },
  { command: 'nextReflection', icon: '▸', text: 'Reflection', label: 'Next reflection', hint: 'N', keys: 'n' },
  { command: 'answer', icon: '★', text: 'Answer', label: 'Jump to answer', hint: 'A', keys: 'a' },
];

/**
 * The stepping toolbar (role="toolbar": one tab stop, ←/→ move between buttons), a position read-out,
 * and the Follow button, which only shows while the stream is live and not being followed.
 */
export class ToolbarView {
  readonly element: HTMLElement;
  private readonly buttons = new Map<NavCommand, HTMLButtonElement>();
  private readonly followButton: HTMLButtonElement;
  private readonly position: HTMLElement;
  /** Every button in toolbar order (the roving tab stop moves among these). */
  private readonly all: HTMLButtonElement[];

  constructor(onCommand: (command: NavCommand) => void) {
    const group = h('div', { class: 'toolbar__group' });
    for (const t of TOOLS) {
      const b = button('', { class: `tool tool--${t.command}`, label: t.label, title: `${t.label} (${t.hint})`, keys: t.keys });
      b.append(
        h('span', { class: 'tool__icon', text: t.icon, attrs: { 'aria-hidden': 'true' } }),
        h('span', { class: 'tool__text', text: t.text, attrs: { 'aria-hidden': 'true' } }),
      );
      b.dataset.command = t.command;
      this.buttons.set(t.command, b);
      group.append(b);
      if (t.command === 'last' || t.command === 'nextReflection') group.append(h('span', { class: 'toolbar__sep', attrs: { 'aria-hidden': 'true' } }));
    }
    this.followButton = button('', { class: 'tool tool--follow', label: 'Follow the live stream', title: 'Follow the live stream (F)', keys: 'f' });
    this.followButton.append(
      h('span', { class: 'tool__icon', text: '⇣', attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'tool__text', text: 'Follow', attrs: { 'aria-hidden': 'true' } }),
    );
    this.followButton.dataset.command = 'follow';
    this.followButton.hidden = true;
    this.position = h('span', { class: 'toolbar__position', attrs: { 'aria-live': 'off' } });
    this.element = h('div', { class: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Step through the thought', 'aria-orientation': 'horizontal' } }, [
      group,
      this.followButton,
      this.position,
    ]);
    this.element.addEventListener('click', (e) => {
      const b = (e.target as Element).closest<HTMLButtonElement>('button[data-command]');
      if (b && !b.disabled) onCommand(b.dataset.command as NavCommand);
    });
    this.element.addEventListener('keydown', (e) => this.rove(e));
    this.all = [...this.element.querySelectorAll<HTMLButtonElement>('button')];
    this.setRovingStop(this.buttons.get('next')!);
  }

  update(state: { segments: number; reflections: number; hasAnswer: boolean; following: boolean; live: boolean; position: string }): void {
    const none = state.segments === 0;
    for (const [command, b] of this.buttons) {
      const disabled = command === 'answer' ? !state.hasAnswer : command.endsWith('Reflection') ? state.reflections === 0 : none;
      if (b.disabled !== disabled) b.disabled = disabled;
    }
    setHidden(this.followButton, !state.live || state.following);
    setText(this.position, state.position);
    this.keepTabStop();
  }

  /** The single tab stop must stay on a usable button as buttons get disabled or hidden. */
  private keepTabStop(): void {
    const stop = this.all.find((b) => b.tabIndex === 0);
    if (stop && !stop.disabled && !stop.hidden) return;
    const usable = this.all.find((b) => !b.disabled && !b.hidden);
    if (usable) this.setRovingStop(usable);
  }

  /** ←/→ move focus inside the toolbar (the APG toolbar pattern); ↑/↓ stay global stepping keys. */
  private rove(e: KeyboardEvent): void {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const all = this.all.filter((b) => !b.hidden && !b.disabled);
    const at = all.indexOf(e.target as HTMLButtonElement);
    if (at < 0) return;
    const next = all[(at + (e.key === 'ArrowRight' ? 1 : all.length - 1)) % all.length];
    this.setRovingStop(next);
    next.focus();
    e.preventDefault();
    e.stopPropagation();
  }

  private setRovingStop(target: HTMLButtonElement): void {
    for (const b of this.all) b.tabIndex = b === target ? 0 : -1;
  }
}
