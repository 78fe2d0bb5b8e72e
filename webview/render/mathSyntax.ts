/**
 * Where math starts and ends in model output, before Markdown sees it: TeX is full of `_`, `*`,
 * `\\` and `[` that Markdown would otherwise turn into emphasis, escapes and links. Pure string
 * scanning so it can be tested without a DOM. Code is never scanned here: marked consumes code
 * spans and fences before these rules are tried at a position.
 */

export interface MathMatch {
  /** The source consumed, delimiters included. */
  raw: string;
  tex: string;
  display: boolean;
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Index of `close` at or after `from`, skipping backslash escapes (so `\$` never closes `$…$`). */
function findCloser(src: string, from: number, close: string, stopAtBlankLine: boolean): number {
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && close !== '\\)' && close !== '\\]') {
      i++;
      continue;
    }
    if (stopAtBlankLine && c === '\n' && /^\n[ \t]*\n/.test(src.slice(i, i + 64))) return -1;
    if (src.startsWith(close, i)) {
      // For \) and \] a preceding backslash would make it `\\)`: a TeX line break then a paren.
      if ((close === '\\)' || close === '\\]') && i > 0 && src[i - 1] === '\\' && !escapedBackslash(src, i - 1)) continue;
      return i;
    }
  }
  return -1;
}

/** True when the backslash at `at` is itself escaped by an odd run of backslashes before it. */
function escapedBackslash(src: string, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= 0 && src[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/**
 * Inline math at the very start of `src`: `$$…$$` and `\[…\]` (display), `$…$` and `\(…\)`.
 * `$…$` follows Pandoc's rule so prices stay text: no space after the opening `$`, none before the
 * closing one, no digit right after it; and it may not contain a backtick (that is code, not TeX).
 */
export function matchInlineMath(src: string): MathMatch | null {
  if (src.startsWith('$$')) {
    const end = findCloser(src, 2, '$$', true);
    if (end < 0) return null;
    const tex = src.slice(2, end);
    return tex.trim() ? { raw: src.slice(0, end + 2), tex, display: true } : null;
  }
  if (src.startsWith('\\[') || src.startsWith('\\(')) {
    const display = src[1] === '[';
    const end = findCloser(src, 2, display ? '\\]' : '\\)', true);
    if (end < 0) return null;
    const tex = src.slice(2, end);
    return tex.trim() ? { raw: src.slice(0, end + 2), tex, display } : null;
  }
  if (src[0] !== '$' || isSpace(src[1]) || src[1] === undefined) return null;
  const end = findCloser(src, 1, '$', true);
  if (end < 0) return null;
  const tex = src.slice(1, end);
  if (isSpace(src[end - 1]) || isDigit(src[end + 1]) || tex.includes('`')) return null;
  return { raw: src.slice(0, end + 1), tex, display: false };
}

/** Where inline math might start (for marked's `start`, which stops plain text there); -1 if nowhere. */
export function inlineMathStart(src: string): number {
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n === '(' || n === '[') return i;
      i++; // `\$` and other escapes are marked's
    } else if (c === '$') {
      return i;
    }
  }
  return -1;
}

const BLOCK_OPEN = /^ {0,3}(\$\$|\\\[)/;

/**
 * Display math as a block of its own at the start of `src`: `$$` or `\[` opening a line (up to three
 * spaces of indent) and the closing delimiter ending one. Blank lines inside are allowed because
 * models write multi-line `aligned` environments with them.
 */
export function matchBlockMath(src: string): MathMatch | null {
  const open = BLOCK_OPEN.exec(src);
  if (!open) return null;
  const delimiter = open[1];
  const close = delimiter === '$$' ? '$$' : '\\]';
  const from = open[0].length;
  const end = findCloser(src, from, close, false);
  if (end < 0) return null;
  const after = /^[ \t]*(?:\n|$)/.exec(src.slice(end + close.length));
  if (!after) return null;
  const tex = src.slice(from, end);
  if (!tex.trim()) return null;
  return { raw: src.slice(0, end + close.length + after[0].length), tex, display: true };
}

/**
 * Where a math block starts in `src` (index of its line), or -1. Only lines where a whole block
 * matches count, so a paragraph is never cut before an inline `$$…$$ and more text` line.
 */
export function blockMathStart(src: string): number {
  let lineStart = 0;
  while (lineStart < src.length) {
    if (BLOCK_OPEN.test(src.slice(lineStart, lineStart + 8)) && matchBlockMath(src.slice(lineStart))) return lineStart;
    const nl = src.indexOf('\n', lineStart);
    if (nl < 0) break;
    lineStart = nl + 1;
  }
  return -1;
}

/**
 * Replaces emphasis delimiters inside inline math with a neutral character of the same length, so
 * an `_` in `$a_1$` can never pair with an `_` in the prose around it (marked's emStrongMask hook).
 */
export function maskInlineMath(src: string): string {
  if (!src.includes('$') && !src.includes('\\(') && !src.includes('\\[')) return src;
  let out = '';
  let i = 0;
  while (i < src.length) {
    const rel = inlineMathStart(src.slice(i));
    if (rel < 0) break;
    const at = i + rel;
    const m = matchInlineMath(src.slice(at));
    if (!m) {
      out += src.slice(i, at + 1);
      i = at + 1;
      continue;
    }
    out += src.slice(i, at) + m.raw.replace(/[*_~]/g, 'a');
    i = at + m.raw.length;
  }
  return out + src.slice(i);
}
