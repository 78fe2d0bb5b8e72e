import { Marked, type TokenizerAndRendererExtension, type Tokens } from 'marked';
import { renderTex } from './katexCache';
import { safeHref } from './links';
import { blockMathStart, inlineMathStart, maskInlineMath, matchBlockMath, matchInlineMath } from './mathSyntax';

interface MathToken extends Tokens.Generic {
  type: 'mathBlock' | 'mathInline';
  raw: string;
  tex: string;
  display: boolean;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function mathHtml(token: MathToken): string {
  const html = renderTex(token.tex, token.display);
  return token.type === 'mathBlock'
    ? `<div class="math math-display">${html}</div>\n`
    : `<span class="math ${token.display ? 'math-display' : 'math-inline'}">${html}</span>`;
}

const mathExtensions: TokenizerAndRendererExtension[] = [
  {
    name: 'mathBlock',
    level: 'block',
    start: (src) => {
      const at = blockMathStart(src);
      return at < 0 ? undefined : at;
    },
    tokenizer(src) {
      const m = matchBlockMath(src);
      return m ? { type: 'mathBlock', raw: m.raw, tex: m.tex, display: true } : undefined;
    },
    renderer: (token) => mathHtml(token as MathToken),
  },
  {
    name: 'mathInline',
    level: 'inline',
    start: (src) => {
      const at = inlineMathStart(src);
      return at < 0 ? undefined : at;
    },
    tokenizer(src) {
      const m = matchInlineMath(src);
      return m ? { type: 'mathInline', raw: m.raw, tex: m.tex, display: m.display } : undefined;
    },
    renderer: (token) => mathHtml(token as MathToken),
  },
];

/**
 * Markdown for model output. Raw HTML is shown as text (a model writing `<b>` or `a<b` means the
 * characters; and nothing the model writes should become markup we did not design). Links keep
 * only http(s) targets; images are never loaded, their alt text is shown instead. The result still
 * goes through the sanitizer: this is the first of two fences, not the only one.
 */
const md = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  extensions: mathExtensions,
  hooks: {
    emStrongMask: maskInlineMath,
  },
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    link({ href, title, tokens }) {
      const inner = this.parser.parseInline(tokens);
      const safe = safeHref(href);
      if (!safe) return inner;
      const t = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(safe)}"${t} rel="noopener noreferrer">${inner}</a>`;
    },
    image({ text }) {
      const alt = text.trim() || 'image';
      return `<span class="md-image-alt" title="Images from model output are not loaded">[image: ${escapeHtml(alt)}]</span>`;
    },
    checkbox({ checked }) {
      return checked ? '☑ ' : '☐ ';
    },
  },
});

/** Model Markdown (with $…$, $$…$$, \(…\), \[…\] math) → HTML string, unsanitized. */
export function markdownToHtml(text: string): string {
  return md.parse(text, { async: false }) as string;
}
