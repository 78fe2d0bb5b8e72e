/**
 * Does a model's answer match the gold one? Both are brought to canonical text
 * (latexNormalize.ts), then compared as multiple-choice letters, as tuples / intervals / sets
 * element by element, as numbers within a tolerance, and last as text.
 */
import { canonicalAnswer } from './latexNormalize';
import { numericValue, type NumericValue } from './numericValue';

export interface MatchOptions {
  /** Relative tolerance for numbers; default 1e-4. */
  relTol?: number;
}

export const DEFAULT_REL_TOL = 1e-4;

export function answersMatch(predicted: string, gold: string, options: MatchOptions = {}): boolean {
  const p = canonicalAnswer(predicted);
  const g = canonicalAnswer(gold);
  if (p === '' || g === '') return false;
  if (p === g) return true;
  const goldChoice = choiceLetter(g);
  if (goldChoice) {
    const predictedChoice = choiceLetter(p);
    if (predictedChoice) return predictedChoice === goldChoice;
  }
  return canonicalMatch(p, g, options.relTol ?? DEFAULT_REL_TOL);
}

/**
 * The answer a list of `\boxed{}` contents amounts to: the box when there is one; when there are
 * several (a multi-part answer), the non-equivalent ones in order joined by ", "; null when none.
 */
export function finalAnswer(boxed: readonly string[]): string | null {
  const distinct: string[] = [];
  for (const b of boxed) {
    if (b.trim() && !distinct.some((d) => answersMatch(d, b))) distinct.push(b);
  }
  return distinct.length === 0 ? null : distinct.join(', ');
}

/** Correct when the final answer (all boxes) or, with several boxes, the last box matches the gold. */
export function isCorrect(boxed: readonly string[], gold: string, options: MatchOptions = {}): boolean {
  const answer = finalAnswer(boxed);
  if (answer === null) return false;
  if (answersMatch(answer, gold, options)) return true;
  const last = boxed[boxed.length - 1];
  return boxed.length > 1 && answersMatch(last, gold, options);
}

/**
 * A multiple-choice letter A–H, from "B", "(B)", "B.", "B)", "B: 12", "(B) 12", "Option B",
 * "Choice (b)", "Answer: B" (canonical text: no spaces). Undefined otherwise.
 */
export function choiceLetter(canonical: string): string | undefined {
  const m =
    /^\(?([A-Ha-h])\)?$/.exec(canonical) ??
    /^\(([A-Ha-h])\)\S+$/.exec(canonical) ??
    /^([A-H])[.:)]\S+$/.exec(canonical) ??
    /^(?:option|choice|answer)[:.]?\(?([A-Ha-h])\)?(?:[.:)]\S*)?$/i.exec(canonical);
  return m ? m[1].toUpperCase() : undefined;
}

function canonicalMatch(p: string, g: string, relTol: number): boolean {
  const ps = structureOf(p);
  const gs = structureOf(g);
  if (ps || gs) {
    if (!ps || !gs || ps.open !== gs.open || ps.close !== gs.close || ps.items.length !== gs.items.length) return false;
    if (ps.open === '\\{') return sameSet(ps.items, gs.items, relTol);
    return ps.items.every((item, k) => canonicalMatch(item, gs.items[k], relTol));
  }
  const pn = numericValue(p);
  const gn = numericValue(g);
  if (pn && gn) return numbersMatch(pn, gn, relTol);
  if (pn || gn) return false;
  // Words ("Yes", "yes") compare without case; expressions with variables only as written.
  return /^[A-Za-z]{2,}$/.test(p) && p.toLowerCase() === g.toLowerCase();
}

/** Every element of one set matches a different element of the other. */
function sameSet(a: string[], b: string[], relTol: number): boolean {
  const used = new Set<number>();
  return a.every((x) => {
    const k = b.findIndex((y, j) => !used.has(j) && canonicalMatch(x, y, relTol));
    if (k < 0) return false;
    used.add(k);
    return true;
  });
}

function numbersMatch(a: NumericValue, b: NumericValue, relTol: number): boolean {
  // 50% may be written 50 or 0.5 on the other side.
  const as = a.percent && !b.percent ? [a.value, a.value / 100] : [a.value];
  const bs = b.percent && !a.percent ? [b.value, b.value / 100] : [b.value];
  for (const x of as) {
    for (const y of bs) {
      if (Math.abs(x - y) <= relTol * Math.max(Math.abs(x), Math.abs(y)) || Math.abs(x - y) < 1e-12) return true;
      if ((b.exact && roundedTo(a, x, y)) || (a.exact && roundedTo(b, y, x))) return true;
    }
  }
  return false;
}

/**
 * A decimal with at least two places stands for an exact value (√, π, a fraction) it rounds:
 * 3.46 for 2\sqrt{3}, 0.33 for \frac{1}{3}. One place or none is too coarse to tell.
 */
function roundedTo(literal: NumericValue, x: number, exactValue: number): boolean {
  if (literal.decimals === undefined || literal.decimals < 2) return false;
  return Math.abs(x - exactValue) <= 0.5 * 10 ** -literal.decimals + 1e-12;
}

interface Structure {
  open: string;
  close: string;
  items: string[];
}

const PAIRS: ReadonlyArray<[string, string]> = [['\\{', '\\}'], ['(', ')'], ['[', ']'], ['(', ']'], ['[', ')'], ['\\langle', '\\rangle']];

/**
 * A tuple, interval or set: `(1,2)`, `[0,1)`, `\{1,2\}`, or a bare list `1,2`. Elements are split
 * at top-level commas. `(5)` is just 5; a single-element set stays a set.
 */
function structureOf(s: string): Structure | undefined {
  for (const [open, close] of PAIRS) {
    if (s.startsWith(open) && s.endsWith(close) && s.length >= open.length + close.length) {
      const inner = s.slice(open.length, s.length - close.length);
      if (!balanced(inner)) continue;
      const items = splitTopLevel(inner);
      if (items.length > 1 || open === '\\{') return { open, close, items };
    }
  }
  const items = splitTopLevel(s);
  if (items.length > 1 && !/^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?$/.test(s)) return { open: '', close: '', items };
  return undefined;
}

/** Parts of s between commas at depth 0 of (), [], {} and \{ \}. */
function splitTopLevel(s: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      if (s[i + 1] === '{') depth++;
      else if (s[i + 1] === '}') depth--;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      items.push(s.slice(start, i));
      start = i + 1;
    }
  }
  items.push(s.slice(start));
  return items;
}

/** Brackets inside are balanced, so `(1)+(2)` is not read as the tuple `1)+(2`. */
function balanced(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      if (s[i + 1] === '{') depth++;
      else if (s[i + 1] === '}') depth--;
      i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (depth < 0) return false;
  }
  return depth === 0;
}
