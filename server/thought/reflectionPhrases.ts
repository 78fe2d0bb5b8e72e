import type { ReflectionType } from '../../protocol/thought';

/**
 * Opening phrases that make a thought paragraph a reflection, by type (shared/docs/virgo.md).
 * Kept as data: add a row to teach the parser a new phrase. Matching is case-insensitive, on
 * whole words, at the start of the paragraph; the longest phrase that matches there wins, so
 * "But wait" beats "But" and "Wait, let me double-check" is a backtrack.
 */
export const REFLECTION_PHRASES: ReadonlyArray<readonly [phrase: string, type: ReflectionType]> = [
  ['Let me double-check', 'verify'],
  ['Let me double check', 'verify'],
  ['Let me check', 'verify'],
  ['Let me verify', 'verify'],
  ['Let me recheck', 'verify'],
  ['Let me re-check', 'verify'],
  ["Let's double-check", 'verify'],
  ["Let's check", 'verify'],
  ["Let's verify", 'verify'],
  ['Double-checking', 'verify'],
  ['Re-examine', 'verify'],
  ['Re-examining', 'verify'],
  ['Re-evaluate', 'verify'],
  ['Re-evaluating', 'verify'],
  ['Recheck', 'verify'],
  ['Check again', 'verify'],
  ['To confirm', 'verify'],
  ['To verify', 'verify'],
  ['To double-check', 'verify'],

  ['Wait', 'backtrack'],
  ['But wait', 'backtrack'],
  ['Hmm', 'backtrack'],
  ['Hmmm', 'backtrack'],
  ['Hmmmm', 'backtrack'],
  ['Actually', 'backtrack'],
  ['Hold on', 'backtrack'],
  ['On second thought', 'backtrack'],
  ['But let me', 'backtrack'],
  ['Oh,', 'backtrack'],
  ['No,', 'backtrack'],
  ['Oops', 'backtrack'],

  ['Alternatively', 'alternative'],
  ['Another way', 'alternative'],
  ['Another approach', 'alternative'],
  ['Instead', 'alternative'],
  ['Maybe I should', 'alternative'],
  ['Perhaps', 'alternative'],
  ['Let me try', 'alternative'],
  ["Let's try", 'alternative'],
  ['Try another', 'alternative'],
  ['Try again', 'alternative'],
];

/**
 * Words that may stand before a bare re-check verb ("Let me re-examine", "I should check again")
 * without hiding it. Phrases that already start with one of these are matched as written.
 */
export const REFLECTION_LEAD_INS: readonly string[] = [
  'let me', "let's", 'let us', 'i should', 'i need to', "i'll", 'i will', 'we should', 'we need to',
];

/** Markdown decoration a model puts before the first word: emphasis, headings, quotes, list marks. */
const LEADING_DECORATION = /^(?:\s|[*_#>]|[-+](?=\s)|\d+[.)](?=\s))+/;
const WORD_CHAR = /[\p{L}\p{N}'’-]/u;

interface CompiledPhrase { words: string; type: ReflectionType }

function compile(table: ReadonlyArray<readonly [string, ReflectionType]>): CompiledPhrase[] {
  // Longest first, so that the longest phrase at the start wins.
  return table
    .map(([phrase, type]) => ({ words: normalize(phrase), type }))
    .sort((a, b) => b.words.length - a.words.length);
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[’]/g, "'").replace(/\s+/g, ' ');
}

let compiled: CompiledPhrase[] | undefined;
let compiledFrom: typeof REFLECTION_PHRASES | undefined;

function phrases(table: typeof REFLECTION_PHRASES): CompiledPhrase[] {
  if (compiledFrom !== table || !compiled) {
    compiled = compile(table);
    compiledFrom = table;
  }
  return compiled;
}

function matchAt(head: string, list: CompiledPhrase[]): ReflectionType | null {
  for (const p of list) {
    if (!head.startsWith(p.words)) continue;
    const last = p.words[p.words.length - 1];
    const next = head.charAt(p.words.length);
    // A phrase ending in a letter must end a word: "Waiting" is not "Wait".
    if (WORD_CHAR.test(last) && next !== '' && WORD_CHAR.test(next)) continue;
    return p.type;
  }
  return null;
}

/**
 * The reflection type a paragraph opens with, or null for an ordinary step.
 * Only the first ~80 characters are looked at, so the cost does not grow with the paragraph.
 */
export function classifyReflection(
  paragraph: string,
  table: typeof REFLECTION_PHRASES = REFLECTION_PHRASES,
): ReflectionType | null {
  const head = normalize(paragraph.slice(0, 120).replace(LEADING_DECORATION, ''));
  const list = phrases(table);
  const direct = matchAt(head, list);
  if (direct) return direct;
  for (const lead of REFLECTION_LEAD_INS) {
    if (head.startsWith(lead + ' ')) {
      const rest = head.slice(lead.length + 1).replace(/^(?:just |quickly |now )/, '');
      const type = matchAt(rest, list);
      if (type) return type;
    }
  }
  return null;
}
