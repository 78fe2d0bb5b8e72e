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

interface CompiledPhrase { words: string; type: ReflectionType | null; endsInWord: boolean }

/** Phrases by their letters, lower-case ASCII edges: a head is matched in one walk over it. */
interface TrieNode {
  kids: Array<TrieNode | undefined>;
  /** Some entry goes on from here (by a non-ASCII character too). */
  more: boolean;
  /** The first entry (longest first) spelled exactly by the path here. */
  entry: CompiledPhrase | undefined;
}

interface Compiled {
  /** Longest first, so that the longest phrase at the start wins. */
  all: CompiledPhrase[];
  phrases: TrieNode;
  /** The lead-ins with their space, when none is the start of another (one walk finds the only one). */
  leads: TrieNode | undefined;
  /** Normalized characters a match can look at: no more of the head needs normalizing. */
  reach: number;
  /** The longest filler. */
  filler: number;
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[’]/g, "'").replace(/\s+/g, ' ');
}

function trie(entries: CompiledPhrase[]): TrieNode {
  const root: TrieNode = { kids: [], more: false, entry: undefined };
  for (const e of entries) {
    let node = root;
    for (let i = 0; i < e.words.length && node; i++) {
      node.more = true;
      const code = e.words.charCodeAt(i);
      // A non-ASCII letter is never walked on a raw head: it only says "more may match".
      node = code < 0x80 ? (node.kids[code] ??= { kids: [], more: false, entry: undefined }) : undefined!;
    }
    if (node && !node.entry) node.entry = e;
  }
  return root;
}

function compile(table: ReadonlyArray<readonly [string, ReflectionType]>): Compiled {
  const all = table
    .map(([phrase, type]) => {
      const words = normalize(phrase);
      return { words, type, endsInWord: WORD_CHAR.test(words[words.length - 1]) };
    })
    .sort((a, b) => b.words.length - a.words.length);
  const leads = REFLECTION_LEAD_INS.map((l) => ({ words: l + ' ', type: null, endsInWord: false }));
  const prefixFree = leads.every((a) => leads.every((b) => a === b || !b.words.startsWith(a.words)));
  const longest = all.reduce((n, p) => Math.max(n, p.words.length), 0);
  const lead = leads.reduce((n, l) => Math.max(n, l.words.length), 0);
  const filler = FILLERS.reduce((n, f) => Math.max(n, f.length), 0);
  return { all, phrases: trie(all), leads: prefixFree ? trie(leads) : undefined, reach: lead + filler + longest + 1, filler };
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
  const more = head.length < HEAD_CHARS;
  const from = decorationEnd(head, more);
  if (from >= 0) {
    // Most heads are plain ASCII where matching looks: walked as they are, nothing normalized.
    const plain = onRawHead(head, from, c, more);
    if (plain) return plain;
    const norm = normalizedHead(head, from, c.reach, more);
    // Can the head still grow where matching looks? Not once the scan stopped at c.reach.
    if (norm) return matchHead(norm.text, c, more && !norm.full);
  }
  // Rare text (a capital sigma, an unfinished prefix of decoration): the plain algorithm, undecided.
  return { type: matchHead(normalize(head.replace(LEADING_DECORATION, '')), c, false).type, decided: !more };
}

/** Markdown decoration a model puts before the first word: emphasis, headings, quotes, list marks. */
const LEADING_DECORATION = /^(?:\s|[*_#>]|[-+](?=\s)|\d+[.)](?=\s))+/;

/** walk()'s answer when the head needs normalizing first, and its `decided`. */
const NOT_PLAIN = { words: '', type: null, endsInWord: false } satisfies CompiledPhrase;
let walkDecided = true;

/**
 * The longest entry of `root` spelled by the head from `at` (ASCII read in lower case) and
 * passing the word-end rule, as matchAt does on the normalized head; NOT_PLAIN when the walk
 * meets what normalizing would change (white space other than one space, non-ASCII).
 */
function walk(head: string, at: number, root: TrieNode, more: boolean): CompiledPhrase | undefined {
  const n = head.length;
  let node = root;
  let found: CompiledPhrase | undefined;
  walkDecided = true;
  for (let i = at; ; i++) {
    const c = i < n ? head.charCodeAt(i) : -1;
    if (c !== -1 && (c < 0x20 || c > 0x7e || (c === 0x20 && i > at && head.charCodeAt(i - 1) === 0x20))) return NOT_PLAIN;
    const e = node.entry;
    if (e) {
      if (c === -1) {
        found = e;
        // "wait" so far: "Wait," is a backtrack, "Waiting" is not.
        if (more && e.endsInWord) walkDecided = false;
      } else if (!(e.endsInWord && isWordChar(c))) found = e;
    }
    if (c === -1) {
      if (more && node.more) walkDecided = false;
      return found;
    }
    const next = node.kids[c >= 0x41 && c <= 0x5a ? c | 0x20 : c];
    if (!next) return found;
    node = next;
  }
}

/** WORD_CHAR for printable ASCII. */
function isWordChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x27 || c === 0x2d;
}

/** matchHead on the raw head from `from`, or undefined where the head needs normalizing first. */
function onRawHead(head: string, from: number, c: Compiled, more: boolean): HeadClass | undefined {
  const direct = walk(head, from, c.phrases, more);
  if (direct === NOT_PLAIN) return undefined;
  let decided = walkDecided;
  if (direct) return { type: direct.type, decided };
  if (!c.leads) return undefined;
  const lead = walk(head, from, c.leads, more);
  if (lead === NOT_PLAIN) return undefined;
  decided &&= walkDecided;
  if (!lead) return { type: null, decided };
  let at = from + lead.words.length;
  // The fillers are matched on the raw head too: only where normalizing would change nothing.
  for (let i = at; i < Math.min(head.length, at + c.filler); i++) {
    const ch = head.charCodeAt(i);
    if (ch < 0x20 || ch > 0x7e) return undefined;
  }
  for (const f of FILLERS) {
    if (startsWithLower(head, at, f)) { at += f.length; break; }
    if (more && head.length - at < f.length && startsWithLower(f, 0, head.slice(at).toLowerCase())) decided = false;
  }
  // A second space would have been folded into the first by normalizing.
  if (head.charCodeAt(at) === 0x20) return undefined;
  const rest = walk(head, at, c.phrases, more);
  if (rest === NOT_PLAIN) return undefined;
  return { type: rest ? rest.type : null, decided: decided && walkDecided };
}

/** `s` at `at`, ASCII letters compared in lower case, equals `lower` (lower-case ASCII). */
function startsWithLower(s: string, at: number, lower: string): boolean {
  if (s.length - at < lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = s.charCodeAt(at + i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

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
  let decided = true;
  for (const p of c.all) {
    const w = p.words;
    if (left < w.length) {
      if (open && w.startsWith(h.slice(start))) decided = false;
      continue;
    }
    if (!h.startsWith(w, start)) continue;
    const next = h.charAt(start + w.length);
    if (next === '') return { type: p.type, decided: decided && !(open && p.endsInWord) };
    // A phrase ending in a letter must end a word: "Waiting" is not "Wait".
    if (p.endsInWord && WORD_CHAR.test(next)) continue;
    return { type: p.type, decided };
  }
  return { type: null, decided };
}

/**
 * normalize(head from `from`, where its leading decoration ends), but only its first `reach`
 * characters (`full` when it stopped there). Undefined when that cannot be told from a prefix
 * alone: a surrogate pair is cut by the end of an unfinished head, or a capital sigma (whose
 * lower case depends on what follows) is in reach.
 */
function normalizedHead(head: string, from: number, reach: number, more: boolean): { text: string; full: boolean } | undefined {
  const n = head.length;
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
