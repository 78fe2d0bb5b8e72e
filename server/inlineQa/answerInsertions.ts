/**
 * Putting an answer into the document, the way each language keeps text about a figure: alt text
 * (Markdown, HTML, AsciiDoc, rST's :alt:), a caption (LaTeX) or a comment; and reading a question
 * the document already asks (alt text or a caption that ends in "?").
 */
import type { TextEdit } from 'vscode-languageserver';
import { prettyTex } from '../../protocol/prettyTex';
import type { AnswerSummary } from './answerStore';
import type { DocumentReferences, ImageReference } from './referenceIndex';

export interface Insertion { title: string; edit: TextEdit }

/** How far below a reference a LaTeX caption or rST option block is looked for. */
const NEARBY_LINES = 8;

export function answerInsertions(doc: DocumentReferences, ref: ImageReference, s: AnswerSummary): Insertion[] {
  const plain = (s.boxed !== null ? prettyTex(s.boxed) : s.answerText.replace(/\s+/g, ' ').trim().slice(0, 200)).trim();
  if (!plain) return [];
  const line = ref.range.start.line;
  const lineText = textOf(doc, line);
  const indent = /^\s*/.exec(lineText)![0];
  const eol = { line, character: lineText.length };
  const after = (text: string): TextEdit => ({ range: { start: eol, end: eol }, newText: `\n${text}` });
  const comment = `Virgo (${s.model}): ${s.question.replace(/\s+/g, ' ').trim()} → ${plain}`;
  const out: Insertion[] = [];
  const alt = (newText: string) => ref.altRange && out.push({ title: "Insert Virgo's answer as alt text", edit: { range: ref.altRange, newText } });

  switch (ref.syntax) {
    case 'md-image':
    case 'md-ref-image':
      alt(ref.inJsonString ? jsonEscape(mdAlt(plain)) : mdAlt(plain));
      if (!ref.inJsonString) out.push({ title: "Insert Virgo's answer as a comment", edit: after(`${indent}<!-- ${htmlComment(comment)} -->`) });
      break;
    case 'html-img': {
      const value = plain.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      if (ref.altRange) alt(ref.inJsonString ? jsonEscape(value) : value);
      else {
        const at = { line: ref.range.start.line, character: ref.range.start.character + 4 };
        const text = ` alt="${value}"`;
        out.push({ title: "Insert Virgo's answer as alt text", edit: { range: { start: at, end: at }, newText: ref.inJsonString ? jsonEscape(text) : text } });
      }
      if (!ref.inJsonString) out.push({ title: "Insert Virgo's answer as a comment", edit: after(`${indent}<!-- ${htmlComment(comment)} -->`) });
      break;
    }
    case 'latex-includegraphics': {
      const tex = s.boxed !== null ? `$${s.boxed}$` : latexEscape(plain);
      if (!hasCaptionBelow(doc, line)) out.push({ title: "Insert Virgo's answer as a caption", edit: after(`${indent}\\caption{${tex}}`) });
      out.push({ title: "Insert Virgo's answer as a comment", edit: after(`${indent}% ${comment.replace(/\n/g, ' ')}`) });
      break;
    }
    case 'rst-image':
    case 'rst-figure': {
      const existing = rstOption(doc, line, 'alt');
      const optionIndent = `${indent}   `;
      out.push(existing
        ? { title: "Replace the :alt: text with Virgo's answer", edit: { range: existing, newText: plain } }
        : { title: "Insert Virgo's answer as alt text", edit: after(`${optionIndent}:alt: ${plain}`) });
      // After the whole directive (options, a figure's caption): a comment inside it would end it early.
      const end = rstBlockEnd(doc, line, indent.length);
      const endText = textOf(doc, end);
      const at = { line: end, character: endText.length };
      out.push({ title: "Insert Virgo's answer as a comment", edit: { range: { start: at, end: at }, newText: `\n\n${indent}.. ${comment}` } });
      break;
    }
    case 'adoc-block':
    case 'adoc-inline': {
      const value = /[,\]"]/.test(plain) ? `"${plain.replace(/"/g, '\\"').replace(/]/g, '\\]')}"` : plain;
      alt(value);
      if (ref.syntax === 'adoc-block') out.push({ title: "Insert Virgo's answer as a comment", edit: after(`// ${comment}`) });
      break;
    }
  }
  return out;
}

/** A question the document already asks about the figure, for the default question. */
export function suggestedQuestion(doc: DocumentReferences, ref: ImageReference): string | undefined {
  const line = ref.range.start.line;
  const candidates = [ref.alt];
  if (doc.language === 'latex') {
    for (let l = line; l <= Math.min(line + NEARBY_LINES, doc.document.lineCount - 1); l++) {
      const m = /\\caption\*?(?:\[[^\]]*\])?\{(.*)\}/.exec(textOf(doc, l));
      if (m) { candidates.push(m[1]); break; }
      if (/\\end\{figure\*?\}/.test(textOf(doc, l))) break;
    }
  }
  if (doc.language === 'rst') {
    const alt = rstOption(doc, line, 'alt');
    if (alt) candidates.push(doc.document.getText(alt));
  }
  return candidates.map((c) => c?.replace(/\s+/g, ' ').trim()).find((c) => c && c.endsWith('?'));
}

function textOf(doc: DocumentReferences, line: number): string {
  return doc.document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$|\r$/, '');
}

function hasCaptionBelow(doc: DocumentReferences, line: number): boolean {
  for (let l = line; l <= Math.min(line + NEARBY_LINES, doc.document.lineCount - 1); l++) {
    const t = textOf(doc, l);
    if (/\\caption\b/.test(t)) return true;
    if (/\\end\{figure\*?\}/.test(t)) return false;
  }
  return false;
}

/** The last non-blank line of the directive starting at `line` (its indented body). */
function rstBlockEnd(doc: DocumentReferences, line: number, indent: number): number {
  let last = line;
  for (let l = line + 1; l < doc.document.lineCount; l++) {
    const t = textOf(doc, l);
    if (!t.trim()) continue;
    if (/^\s*/.exec(t)![0].length <= indent) break;
    last = l;
  }
  return last;
}

/** The value range of `:name:` in the option block under an rST directive. */
function rstOption(doc: DocumentReferences, line: number, name: string) {
  for (let l = line + 1; l <= Math.min(line + NEARBY_LINES, doc.document.lineCount - 1); l++) {
    const t = textOf(doc, l);
    const m = new RegExp(`^(\\s+):${name}:[ \\t]*`).exec(t);
    if (m) return { start: { line: l, character: m[0].length }, end: { line: l, character: t.length } };
    if (!/^\s+:[\w-]+:/.test(t)) return undefined;
  }
  return undefined;
}

const mdAlt = (s: string) => s.replace(/([\\[\]])/g, '\\$1');
const htmlComment = (s: string) => s.replace(/--/g, '- -');
const latexEscape = (s: string) => s.replace(/([#$%&_{}])/g, '\\$1');
const jsonEscape = (s: string) => JSON.stringify(s).slice(1, -1);
