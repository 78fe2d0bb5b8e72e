/**
 * Every `\boxed{…}` content in a text, in order. Braces nest (`\boxed{\frac{1}{2}}`), and escaped
 * braces `\{` `\}` are literal characters that do not open or close a group, as in LaTeX.
 * An unclosed `\boxed{` (a stream cut short) yields nothing for that box.
 */
export function extractBoxed(text: string): string[] {
  const found: string[] = [];
  const opener = /\\boxed\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = opener.exec(text)) !== null) {
    const start = m.index + m[0].length;
    let depth = 1;
    let i = start;
    for (; i < text.length && depth > 0; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c /* \ */) { i++; continue; }
      if (c === 0x7b /* { */) depth++;
      else if (c === 0x7d /* } */) depth--;
    }
    if (depth !== 0) break;
    found.push(text.slice(start, i - 1).trim());
    opener.lastIndex = i;
  }
  return found;
}
