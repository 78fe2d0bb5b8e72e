/**
 * Finds image references one line at a time, per document language. Each language is a small
 * table of patterns plus the few multi-line constructs that can hide a reference (code fences,
 * comments, verbatim blocks, an <img> tag spread over lines); those are carried from line to line
 * as a short state string, so the incremental index can rescan one edited line and stop as soon
 * as the state after it is what it was before.
 */

export type RefLanguage = 'markdown' | 'latex' | 'html' | 'rst' | 'asciidoc';

export type RefSyntax =
  | 'md-image' | 'md-ref-image' | 'html-img' | 'latex-includegraphics'
  | 'rst-image' | 'rst-figure' | 'adoc-block' | 'adoc-inline';

/** One reference on one line; columns are UTF-16 offsets into the line (LSP's default encoding). */
export interface LineRef {
  syntax: RefSyntax;
  start: number;
  end: number;
  /** As written (Markdown's <…> unwrapped); empty for a Markdown reference-style image, see label. */
  target: string;
  targetStart: number;
  targetEnd: number;
  /** Where the reference keeps alt text, when its syntax has a place for it on this line. */
  alt?: string;
  altStart?: number;
  altEnd?: number;
  /** Markdown `![alt][label]`: resolved through a `[label]: target` definition anywhere in the document. */
  label?: string;
}

/** Lines that change how other references resolve. */
export type Directive =
  | { kind: 'graphicspath'; dirs: string[] }
  | { kind: 'imagesdir'; dir: string }
  | { kind: 'linkdef'; label: string; target: string };

export interface LineScan {
  refs: LineRef[];
  directives: Directive[];
  /** The state the next line starts in ('' outside any multi-line construct). */
  state: string;
}

export const INITIAL_STATE = '';

const NONE: LineRef[] = [];
const NO_DIRECTIVES: Directive[] = [];

export function scanLine(language: RefLanguage, line: string, state: string): LineScan {
  switch (language) {
    case 'markdown': return scanMarkdown(line, state);
    case 'html': return scanHtml(line, state);
    case 'latex': return scanLatex(line, state);
    case 'rst': return scanRst(line);
    case 'asciidoc': return scanAsciidoc(line, state);
  }
}

/** Markdown labels match case-insensitively with whitespace collapsed (CommonMark). */
export function normalizeLabel(label: string): string {
  return label.trim().replace(/\s+/g, ' ').toLowerCase();
}

// ---- Markdown ---------------------------------------------------------------------------------

const FENCE_OPEN = /^ {0,3}(`{3,}(?=[^`]*$)|~{3,})/;
/** `![alt](dest "title")`: alt may hold one level of brackets, dest may be <…> or hold balanced parens. */
const MD_IMAGE = /!\[((?:\\.|[^\\[\]]|\[(?:\\.|[^\\[\]])*\])*)\]\(\s*(<(?:\\.|[^\\<>])*>|(?:\\.|[^\s()\\]|\((?:\\.|[^\s()\\])*\))+)?(?:\s+(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\((?:\\.|[^()\\])*\)))?\s*\)/dg;
/** `![alt][label]`, `![label][]` and `![label]` (not followed by `(` or `[`: those are other syntaxes). */
const MD_REF_IMAGE = /!\[((?:\\.|[^\\[\]])*)\](?:\[((?:\\.|[^\\[\]])*)\]|(?![[(]))/dg;
const MD_LINK_DEF = /^ {0,3}\[((?:\\.|[^\\[\]])+)\]:[ \t]*(<[^<>]*>|\S+)/;

function scanMarkdown(line: string, state: string): LineScan {
  if (state.startsWith('fence:')) {
    const marker = state.slice(6);
    const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    return { refs: NONE, directives: NO_DIRECTIVES, state: close.test(line) ? INITIAL_STATE : state };
  }
  if (state === INITIAL_STATE) {
    const fence = FENCE_OPEN.exec(line);
    if (fence) return { refs: NONE, directives: NO_DIRECTIVES, state: `fence:${fence[1]}` };
  }
  const comment = maskBlock(line, state === 'comment', '<!--', '-->');
  // Most lines are prose: without `![`, `<img` or a leading `[` nothing below can match.
  if (state !== 'img' && !comment.text.includes('![') && !/<img/i.test(comment.text) && !/^ {0,3}\[/.test(comment.text)) {
    return { refs: NONE, directives: NO_DIRECTIVES, state: comment.inside ? 'comment' : INITIAL_STATE };
  }
  let text = maskCodeSpans(comment.text);
  const refs: LineRef[] = [];
  for (const m of text.matchAll(MD_IMAGE)) {
    if (escaped(text, m.index)) continue;
    const dest = m[2];
    if (!dest) continue;
    const [ds] = m.indices![2]!;
    const angle = dest.startsWith('<');
    refs.push({
      syntax: 'md-image', start: m.index, end: m.index + m[0].length,
      target: unescapeMarkdown(angle ? dest.slice(1, -1) : dest).trim(),
      targetStart: ds + (angle ? 1 : 0), targetEnd: ds + dest.length - (angle ? 1 : 0),
      alt: m[1], altStart: m.index + 2, altEnd: m.index + 2 + m[1].length,
    });
  }
  if (refs.length > 0) text = maskRanges(text, refs);
  for (const m of text.matchAll(MD_REF_IMAGE)) {
    if (escaped(text, m.index)) continue;
    const label = m[2] ? m[2] : m[1];
    if (!label.trim()) continue;
    const labelRange = m[2] ? m.indices![2]! : m.indices![1]!;
    refs.push({
      syntax: 'md-ref-image', start: m.index, end: m.index + m[0].length, target: '', label: normalizeLabel(label),
      targetStart: labelRange[0], targetEnd: labelRange[1],
      alt: m[1], altStart: m.index + 2, altEnd: m.index + 2 + m[1].length,
    });
  }
  const html = findImgTags(text, state === 'img' ? 'img' : INITIAL_STATE);
  refs.push(...html.refs);
  refs.sort((a, b) => a.start - b.start);
  const def = MD_LINK_DEF.exec(text);
  const directives: Directive[] = def
    ? [{ kind: 'linkdef', label: normalizeLabel(def[1]), target: def[2].replace(/^<|>$/g, '') }]
    : NO_DIRECTIVES;
  return { refs, directives, state: comment.inside ? 'comment' : html.state };
}

function escaped(text: string, index: number): boolean {
  let n = 0;
  while (index - n - 1 >= 0 && text[index - n - 1] === '\\') n++;
  return n % 2 === 1;
}

function unescapeMarkdown(s: string): string {
  return s.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** Blanks inline code spans (`…`, ``…``) so nothing inside them is read as a reference. */
function maskCodeSpans(text: string): string {
  if (!text.includes('`')) return text;
  let out = text;
  const runs = [...text.matchAll(/`+/g)];
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i];
    const j = runs.findIndex((r, k) => k > i && r[0].length === open[0].length);
    if (j < 0) continue;
    const end = runs[j].index + runs[j][0].length;
    out = out.slice(0, open.index) + ' '.repeat(end - open.index) + out.slice(end);
    i = j;
  }
  return out;
}

function maskRanges(text: string, ranges: ReadonlyArray<{ start: number; end: number }>): string {
  let out = text;
  for (const r of ranges) out = out.slice(0, r.start) + ' '.repeat(r.end - r.start) + out.slice(r.end);
  return out;
}

/** Blanks a block comment's content (it may begin or end on other lines); `inside` says how the line ends. */
function maskBlock(line: string, inside: boolean, open: string, close: string): { text: string; inside: boolean } {
  if (!inside && !line.includes(open)) return { text: line, inside: false };
  let out = '';
  let pos = 0;
  while (pos < line.length) {
    if (inside) {
      const end = line.indexOf(close, pos);
      if (end < 0) return { text: out + ' '.repeat(line.length - pos), inside: true };
      out += ' '.repeat(end + close.length - pos);
      pos = end + close.length;
      inside = false;
    } else {
      const start = line.indexOf(open, pos);
      if (start < 0) break;
      out += line.slice(pos, start);
      pos = start;
      inside = true;
    }
  }
  return { text: out + line.slice(pos), inside };
}

// ---- HTML (also inline HTML in Markdown) ------------------------------------------------------

const IMG_OPEN = /<img\b/gi;
const SRC_ATTR = /(?:^|[\s"'])src\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/di;
const ALT_ATTR = /(?:^|[\s"'])alt\s*=\s*(?:"([^"]*)"|'([^']*)')/di;

function scanHtml(line: string, state: string): LineScan {
  const comment = maskBlock(line, state === 'comment', '<!--', '-->');
  const html = findImgTags(comment.text, state === 'img' ? 'img' : INITIAL_STATE);
  return { refs: html.refs, directives: NO_DIRECTIVES, state: comment.inside ? 'comment' : html.state };
}

/** The end of a tag: the first `>` outside quotes, or -1 when the tag goes on past the line. */
function tagEnd(text: string, from: number): number {
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote) quote = ''; } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}

/** <img …> tags; a tag left open at the end of the line continues on the next one (state 'img'). */
function findImgTags(text: string, state: string): { refs: LineRef[]; state: string } {
  const refs: LineRef[] = [];
  let pos = 0;
  if (state === 'img') {
    const end = tagEnd(text, 0);
    const ref = imgRef(text, 0, end < 0 ? text.length : end + 1);
    if (ref) refs.push(ref);
    if (end < 0) return { refs, state: 'img' };
    pos = end + 1;
  }
  if (!/<img/i.test(text)) return { refs, state: INITIAL_STATE };
  IMG_OPEN.lastIndex = pos;
  for (let m = IMG_OPEN.exec(text); m; m = IMG_OPEN.exec(text)) {
    const end = tagEnd(text, m.index + 4);
    const ref = imgRef(text, m.index, end < 0 ? text.length : end + 1);
    if (ref) refs.push(ref);
    if (end < 0) return { refs, state: 'img' };
    IMG_OPEN.lastIndex = end + 1;
  }
  return { refs, state: INITIAL_STATE };
}

function imgRef(text: string, start: number, end: number): LineRef | undefined {
  const tag = text.slice(start, end);
  const src = SRC_ATTR.exec(tag);
  if (!src) return undefined;
  const group = src[1] !== undefined ? 1 : src[2] !== undefined ? 2 : 3;
  const [ts, te] = src.indices![group]!;
  const ref: LineRef = {
    syntax: 'html-img', start, end,
    target: decodeEntities(src[group]!.trim()), targetStart: start + ts, targetEnd: start + te,
  };
  const alt = ALT_ATTR.exec(tag);
  if (alt) {
    const g = alt[1] !== undefined ? 1 : 2;
    const [as, ae] = alt.indices![g]!;
    Object.assign(ref, { alt: decodeEntities(alt[g]!), altStart: start + as, altEnd: start + ae });
  }
  return ref;
}

function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|apos);/g, (_, e: string) =>
    ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" })[e]!);
}

// ---- LaTeX ------------------------------------------------------------------------------------

const VERBATIM_BEGIN = /\\begin\s*\{(verbatim\*?|Verbatim|lstlisting|minted|comment)\}/;
// Bounded repeats: a hostile line of unclosed `[` must not cost quadratic time.
const INCLUDEGRAPHICS = /\\includegraphics\*?\s*(?:\[[^\]]{0,400}\]\s*)?\{([^{}]{0,1000})\}/dg;
const GRAPHICSPATH = /\\graphicspath\s*\{((?:\s*\{[^{}]*\})*)\s*\}/;

function scanLatex(line: string, state: string): LineScan {
  let text = line;
  if (state.startsWith('verb:')) {
    const end = text.indexOf(`\\end{${state.slice(5)}}`);
    if (end < 0) return { refs: NONE, directives: NO_DIRECTIVES, state };
    text = ' '.repeat(end) + text.slice(end);
    state = INITIAL_STATE;
  }
  text = maskLatexComment(text).replace(/\\verb\*?([^\sa-zA-Z*]).*?\1/g, (m) => ' '.repeat(m.length));
  const begin = VERBATIM_BEGIN.exec(text);
  if (begin && !text.includes(`\\end{${begin[1]}}`, begin.index)) {
    state = `verb:${begin[1]}`;
    text = text.slice(0, begin.index);
  }
  const refs: LineRef[] = [];
  for (const m of text.matchAll(INCLUDEGRAPHICS)) {
    const [ts] = m.indices![1]!;
    const target = m[1].trim();
    if (!target) continue;
    const lead = m[1].length - m[1].trimStart().length;
    refs.push({
      syntax: 'latex-includegraphics', start: m.index, end: m.index + m[0].length,
      target, targetStart: ts + lead, targetEnd: ts + lead + target.length,
    });
  }
  const gp = GRAPHICSPATH.exec(text);
  const directives: Directive[] = gp
    ? [{ kind: 'graphicspath', dirs: [...gp[1].matchAll(/\{([^{}]*)\}/g)].map((d) => d[1].trim()).filter(Boolean) }]
    : NO_DIRECTIVES;
  return { refs, directives, state };
}

/** Blanks a `%` comment (an escaped `\%` is text). */
function maskLatexComment(text: string): string {
  for (let i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
    if (!escaped(text, i)) return text.slice(0, i) + ' '.repeat(text.length - i);
  }
  return text;
}

// ---- reStructuredText -------------------------------------------------------------------------

/** `.. image:: path`, `.. figure:: path` and substitution images `.. |name| image:: path`. */
const RST_DIRECTIVE = /^(\s*)\.\.\s+(?:\|[^|]+\|\s+)?(image|figure)::[ \t]+(\S(?:.*\S)?)\s*$/d;

function scanRst(line: string): LineScan {
  const m = RST_DIRECTIVE.exec(line);
  if (!m) return { refs: NONE, directives: NO_DIRECTIVES, state: INITIAL_STATE };
  const [ts, te] = m.indices![3]!;
  return {
    refs: [{ syntax: m[2] === 'figure' ? 'rst-figure' : 'rst-image', start: m[1].length, end: te, target: m[3], targetStart: ts, targetEnd: te }],
    directives: NO_DIRECTIVES,
    state: INITIAL_STATE,
  };
}

// ---- AsciiDoc ---------------------------------------------------------------------------------

/** Delimited blocks whose content is literal (listing, literal, comment, passthrough). */
const ADOC_LITERAL_BLOCK = /^(-{4,}|\.{4,}|\/{4,}|\+{4,})\s*$/;
const ADOC_BLOCK_IMAGE = /^image::([^\s[][^[]{0,1000})\[([^\]]{0,1000})\]\s*$/d;
const ADOC_INLINE_IMAGE = /(?<![\w:\\])image:(?!:)([^\s[]{1,1000})\[([^\]]{0,1000})\]/dg;
const ADOC_IMAGESDIR = /^:imagesdir:\s*(.*?)\s*$/;

function scanAsciidoc(line: string, state: string): LineScan {
  if (state.startsWith('block:')) {
    return { refs: NONE, directives: NO_DIRECTIVES, state: line.trimEnd() === state.slice(6) ? INITIAL_STATE : state };
  }
  const block = ADOC_LITERAL_BLOCK.exec(line);
  if (block) return { refs: NONE, directives: NO_DIRECTIVES, state: `block:${block[1]}` };
  if (line.startsWith('//')) return { refs: NONE, directives: NO_DIRECTIVES, state: INITIAL_STATE };
  const dir = ADOC_IMAGESDIR.exec(line);
  if (dir) return { refs: NONE, directives: [{ kind: 'imagesdir', dir: dir[1] }], state: INITIAL_STATE };
  const whole = ADOC_BLOCK_IMAGE.exec(line);
  const matches = whole ? [whole] : [...line.matchAll(ADOC_INLINE_IMAGE)];
  const refs = matches.map((m): LineRef => {
    const [ts] = m.indices![1]!;
    const [as] = m.indices![2]!;
    // The alt text is the first positional attribute: up to a comma, unless it is a name=value.
    const first = m[2].split(',')[0];
    const hasAlt = !first.includes('=');
    return {
      syntax: whole ? 'adoc-block' : 'adoc-inline', start: m.index!, end: m.index! + m[0].length,
      target: m[1].trim(), targetStart: ts, targetEnd: ts + m[1].trim().length,
      ...(hasAlt ? { alt: first.trim(), altStart: as, altEnd: as + first.length } : { altStart: as, altEnd: as }),
    };
  });
  return { refs, directives: NO_DIRECTIVES, state: INITIAL_STATE };
}
