import type { NavCommand } from './model/navigation';

/** The stepping keys both pages share: j/k and the arrows, g/G and Home/End. */
export const STEP_KEYS = {
  j: 'next',
  ArrowDown: 'next',
  k: 'prev',
  ArrowUp: 'prev',
  g: 'first',
  Home: 'first',
  G: 'last',
  End: 'last',
} as const;

type KeyEvent = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>;

/**
 * The command a key means in `keys`. Letters are matched on `key`, so "G" and "N" mean Shift+g
 * and Shift+n on any layout; chords with Ctrl/Alt/Cmd are never ours, they belong to VS Code.
 */
export function keyCommand<C>(keys: Readonly<Record<string, C>>, e: KeyEvent): C | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  return Object.hasOwn(keys, e.key) ? keys[e.key] : null;
}

/** The reasoning panel's keys: stepping, reflections, the answer, follow, leave. */
const KEYS: Record<string, NavCommand> = {
  ...STEP_KEYS,
  n: 'nextReflection',
  p: 'prevReflection',
  N: 'prevReflection',
  a: 'answer',
  f: 'follow',
  Escape: 'leave',
};

export function commandForKey(e: KeyEvent): NavCommand | null {
  return keyCommand(KEYS, e);
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
