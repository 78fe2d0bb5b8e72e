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

/** Words that may stand between a lead-in and the verb ("let me just check"); at most one. */
const FILLERS = ['just ', 'quickly ', 'now '];

/** How much of a paragraph decides its type: the cost does not grow with the paragraph. */
export const HEAD_CHARS = 120;

const WORD_CHAR = /[\p{L}\p{N}'’-]/u;

interface CompiledPhrase { words: string; type: ReflectionType; endsInWord: boolean }

interface Compiled {
  /** Longest first, so that the longest phrase at the start wins. */
  all: CompiledPhrase[];
  /** The same, by first character (empty, so unused, when a phrase is empty). */
  byFirst: Map<string, CompiledPhrase[]>;
  /** byFirst for ASCII first characters, by char code. */
  byCode: Array<CompiledPhrase[] | undefined>;
  /** Normalized characters a match can look at: no more of the head needs normalizing. */
  reach: number;
  /**
   * The first two characters (as char codes, a·128 + b) of every phrase and of every lead-in and
   * its space; a head starting otherwise matches nothing. Undefined when some phrase is shorter.
   */
  starts: Set<number> | undefined;
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[’]/g, "'").replace(/\s+/g, ' ');
}

function compile(table: ReadonlyArray<readonly [string, ReflectionType]>): Compiled {
  const all = table
    .map(([phrase, type]) => {
      const words = normalize(phrase);
      return { words, type, endsInWord: WORD_CHAR.test(words[words.length - 1]) };
    })
    .sort((a, b) => b.words.length - a.words.length);
  const byFirst = new Map<string, CompiledPhrase[]>();
  const hasEmpty = all.some((p) => p.words === '');
  for (const p of all) {
    if (hasEmpty || byFirst.has(p.words[0])) continue;
    byFirst.set(p.words[0], all.filter((q) => q.words[0] === p.words[0]));
  }
  const longest = all.reduce((n, p) => Math.max(n, p.words.length), 0);
  const lead = REFLECTION_LEAD_INS.reduce((n, l) => Math.max(n, l.length + 1), 0);
  const filler = FILLERS.reduce((n, f) => Math.max(n, f.length), 0);
  const firsts = [...all.map((p) => p.words), ...REFLECTION_LEAD_INS.map((l) => l + ' ')];
  const starts = firsts.every((w) => w.length >= 2 && w.charCodeAt(0) < 128 && w.charCodeAt(1) < 128)
    ? new Set(firsts.map((w) => w.charCodeAt(0) * 128 + w.charCodeAt(1)))
    : undefined;
  const byCode: Array<CompiledPhrase[] | undefined> = [];
  for (let code = 0; code < 128; code++) byCode.push(byFirst.get(String.fromCharCode(code)));
  return { all, byFirst, byCode, reach: lead + filler + longest + 1, starts };
}

const compiledTables = new WeakMap<object, Compiled>();

let lastTable: typeof REFLECTION_PHRASES | undefined;
let lastCompiled: Compiled | undefined;

function compiled(table: typeof REFLECTION_PHRASES): Compiled {
  if (table === lastTable) return lastCompiled!;
  lastTable = table;
  let c = compiledTables.get(table);
  if (!c) compiledTables.set(table, (c = compile(table)));
  return (lastCompiled = c);
}

/** A type, and whether more text after the head could still change it. */
export interface HeadClass { type: ReflectionType | null; decided: boolean }

/**
 * The reflection type a paragraph opens with, or null for an ordinary step.
 * Only the first HEAD_CHARS characters are looked at, so the cost does not grow with the paragraph.
 */
export function classifyReflection(
  paragraph: string,
  table: typeof REFLECTION_PHRASES = REFLECTION_PHRASES,
): ReflectionType | null {
  return classifyHead(paragraph.length > HEAD_CHARS ? paragraph.slice(0, HEAD_CHARS) : paragraph, table).type;
}

/**
 * classifyReflection of a paragraph whose first HEAD_CHARS characters are `head` (all of it when
 * shorter): the type, and `decided` when every paragraph starting with `head` has that type, so a
 * caller watching a paragraph grow can stop asking.
 */
export function classifyHead(head: string, table: typeof REFLECTION_PHRASES = REFLECTION_PHRASES): HeadClass {
  const c = compiled(table);
  if (c.starts && head.length >= 2) {
    // Most paragraphs ("The figure…", "So…") are told apart by their first two letters.
    const start = plainStart(head);
    if (start >= 0 && !c.starts.has(start)) return NOTHING;
  }
  const more = head.length < HEAD_CHARS;
  const norm = normalizedHead(head, c.reach, more);
  if (norm === undefined) {
    // Rare text (a capital sigma, an unfinished prefix of decoration): the plain algorithm, undecided.
    return { type: matchHead(normalize(head.replace(LEADING_DECORATION, '')), c, false).type, decided: !more };
  }
  // Can the head still grow where matching looks? Not once the scan stopped at c.reach.
  return matchHead(norm.text, c, more && !norm.full);
}

const NOTHING: HeadClass = Object.freeze({ type: null, decided: true });

/**
 * The head's first two normalized characters as a·128 + b, when it starts with an ASCII letter
 * (so with no decoration) and an ASCII character; -1 otherwise.
 */
function plainStart(head: string): number {
  const a = head.charCodeAt(0) | 0x20;
  if (a < 0x61 || a > 0x7a) return -1;
  let b = head.charCodeAt(1);
  if (b >= 0x80) return -1;
  if (b >= 0x41 && b <= 0x5a) b |= 0x20;
  else if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) b = 0x20;
  return a * 128 + b;
}

/** Markdown decoration a model puts before the first word: emphasis, headings, quotes, list marks. */
const LEADING_DECORATION = /^(?:\s|[*_#>]|[-+](?=\s)|\d+[.)](?=\s))+/;

function matchHead(h: string, c: Compiled, open: boolean): HeadClass {
  let decided = true;
  const direct = matchAt(h, 0, c, open);
  if (direct.type) return direct;
  decided &&= direct.decided;
  for (const lead of REFLECTION_LEAD_INS) {
    const n = lead.length + 1;
    if (h.length < n) {
      if (open && (lead + ' ').startsWith(h)) decided = false;
      continue;
    }
    if (!h.startsWith(lead) || h.charCodeAt(lead.length) !== 0x20) continue;
    let start = n;
    for (const f of FILLERS) {
      if (h.startsWith(f, n)) { start = n + f.length; break; }
      if (open && h.length - n < f.length && f.startsWith(h.slice(n))) decided = false;
    }
    const type = matchAt(h, start, c, open);
    if (type.type) return { type: type.type, decided: decided && type.decided };
    decided &&= type.decided;
  }
  return { type: null, decided };
}

/** The first phrase (longest first) at `start`; undecided when a longer head could match another. */
function matchAt(h: string, start: number, c: Compiled, open: boolean): HeadClass {
  const left = h.length - start;
  const code = h.charCodeAt(start);
  const list = left <= 0 || c.byFirst.size === 0 ? c.all : code < 128 ? c.byCode[code] : c.byFirst.get(h[start]);
  if (!list) return { type: null, decided: true };
  let decided = true;
  for (const p of list) {
    const w = p.words;
    if (left < w.length) {
      if (open && w.startsWith(h.slice(start))) decided = false;
      continue;
    }
    if (!h.startsWith(w, start)) continue;
    const next = h.charAt(start + w.length);
    if (next === '') {
      // "wait" so far: "Wait," is a backtrack, "Waiting" is not.
      return { type: p.type, decided: decided && !(open && p.endsInWord) };
    }
    // A phrase ending in a letter must end a word: "Waiting" is not "Wait".
    if (p.endsInWord && WORD_CHAR.test(next)) continue;
    return { type: p.type, decided };
  }
  return { type: null, decided };
}

/**
 * normalize(head with its leading decoration removed), but only its first `reach` characters
 * (`full` when it stopped there). Undefined when that cannot be told from a prefix alone: the
 * decoration or a surrogate pair is cut by the end of an unfinished head, or a capital sigma
 * (whose lower case depends on what follows) is in reach.
 */
function normalizedHead(head: string, reach: number, more: boolean): { text: string; full: boolean } | undefined {
  const n = head.length;
  const from = decorationEnd(head, more);
  if (from < 0) return undefined;
  // The usual head: printable ASCII with single spaces lowers character by character.
  const end = Math.min(n, from + reach);
  if (isPlain(head, from, end)) {
    const window = from === 0 && end === n ? head : head.slice(from, end);
    return { text: window.toLowerCase(), full: end - from === reach };
  }
  let text = '';
  let i = from;
  while (i < n && text.length < reach) {
    const code = head.charCodeAt(i);
    if (isSpace(code)) {
      if (!text.endsWith(' ')) text += ' ';
      i++;
    } else if (code < 0x80) {
      text += code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 0x20) : head[i];
      i++;
    } else if (code === 0x2019) {
      text += "'";
      i++;
    } else if (code === 0x3a3) {
      return undefined;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < n) {
      const low = head.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        text += head.slice(i, i + 2).toLowerCase();
        i += 2;
      } else {
        text += head[i];
        i++;
      }
    } else {
      if (more && i + 1 === n && code >= 0xd800 && code <= 0xdbff) return undefined;
      text += head[i].toLowerCase();
      i++;
    }
  }
  return { text: text.length > reach ? text.slice(0, reach) : text, full: text.length >= reach };
}

/** Only printable ASCII and single spaces in head[from, end). */
function isPlain(head: string, from: number, end: number): boolean {
  let space = false;
  for (let i = from; i < end; i++) {
    const c = head.charCodeAt(i);
    if (c === 0x20) {
      if (space) return false;
      space = true;
    } else if (c < 0x21 || c > 0x7e) return false;
    else space = false;
  }
  return true;
}

/** JavaScript's \s: white space and line terminators. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)
    || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * Where LEADING_DECORATION stops in `head`, or -1 when an unfinished head ends inside it (a
 * longer head might strip more, as "1." becomes "1. Wait").
 */
function decorationEnd(head: string, more: boolean): number {
  const n = head.length;
  let i = 0;
  for (;;) {
    if (i >= n) return more ? -1 : i;
    const c = head.charCodeAt(i);
    if (isSpace(c) || c === 0x2a || c === 0x5f || c === 0x23 || c === 0x3e) { i++; continue; }
    if (c === 0x2d || c === 0x2b) {
      if (i + 1 >= n) return more ? -1 : i;
      if (isSpace(head.charCodeAt(i + 1))) { i++; continue; }
      return i;
    }
    if (c >= 0x30 && c <= 0x39) {
      let j = i + 1;
      while (j < n && head.charCodeAt(j) >= 0x30 && head.charCodeAt(j) <= 0x39) j++;
      if (j >= n) return more ? -1 : i;
      const d = head.charCodeAt(j);
      if (d !== 0x2e && d !== 0x29) return i;
      if (j + 1 >= n) return more ? -1 : i;
      if (!isSpace(head.charCodeAt(j + 1))) return i;
      i = j + 1;
      continue;
    }
    return i;
  }
}
