import { keyCommand, STEP_KEYS } from '../keyboard';

/** What a key does in the compare page. */
export type CompareCommand = 'next' | 'prev' | 'first' | 'last' | 'prevColumn' | 'nextColumn' | 'divergence';

/** The reasoning panel's stepping keys, plus columns (h/l, ←/→) and the divergence (d). */
const KEYS: Record<string, CompareCommand> = {
  ...STEP_KEYS,
  h: 'prevColumn',
  ArrowLeft: 'prevColumn',
  l: 'nextColumn',
  ArrowRight: 'nextColumn',
  d: 'divergence',
};

export function compareKeyCommand(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): CompareCommand | null {
  return keyCommand(KEYS, e);
}
