import type { NavCommand } from './model/navigation';

/**
 * The stepping keys (vim-like letters plus arrows/Home/End). Letters are matched on `key`, so
 * "G" and "N" mean Shift+g and Shift+n on any layout; chords with Ctrl/Alt/Cmd are never ours,
 * they belong to VS Code.
 */
const KEYS: Record<string, NavCommand> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'prev',
  ArrowUp: 'prev',
  n: 'nextReflection',
  p: 'prevReflection',
  N: 'prevReflection',
  g: 'first',
  Home: 'first',
  G: 'last',
  End: 'last',
  a: 'answer',
  f: 'follow',
  Escape: 'leave',
};

export function commandForKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): NavCommand | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  return Object.hasOwn(KEYS, e.key) ? KEYS[e.key] : null;
}

/** Keys typed into a text field are text, never commands. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  const tag = el.localName;
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') {
    const type = (el as HTMLInputElement).type;
    return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file', 'image'].includes(type);
  }
  return false;
}
