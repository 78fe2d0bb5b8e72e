import type { ReflectionType } from '../../protocol/thought';

/**
 * How each reflection type looks. Colour alone is not enough (colour blindness, high contrast), so
 * each type also has its own glyph and word; the CSS maps `--<type>` classes to theme chart colours.
 */
export const REFLECTION_STYLE: Record<ReflectionType, { icon: string; word: string }> = {
  verify: { icon: '✓', word: 'Verify' },
  backtrack: { icon: '↩', word: 'Backtrack' },
  alternative: { icon: '⇄', word: 'Alternative' },
};

export const REFLECTION_TYPES: readonly ReflectionType[] = ['backtrack', 'verify', 'alternative'];
