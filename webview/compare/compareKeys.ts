/** What a key does in the compare page. */
export type CompareCommand = 'next' | 'prev' | 'first' | 'last' | 'prevColumn' | 'nextColumn' | 'divergence';

/** The reasoning panel's stepping letters where they mean the same, plus columns and divergence. */
const KEYS: Record<string, CompareCommand> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'prev',
  ArrowUp: 'prev',
  g: 'first',
  Home: 'first',
  G: 'last',
  End: 'last',
  h: 'prevColumn',
  ArrowLeft: 'prevColumn',
  l: 'nextColumn',
  ArrowRight: 'nextColumn',
  d: 'divergence',
};

/** Chords with Ctrl/Alt/Cmd belong to VS Code. */
export function compareKeyCommand(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): CompareCommand | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  return Object.hasOwn(KEYS, e.key) ? KEYS[e.key] : null;
}
