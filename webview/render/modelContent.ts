import { renderTex } from './katexCache';
import { markdownToHtml } from './markdown';
import { sanitizeToFragment } from './sanitize';

/**
 * Model text → safe DOM, the one path all model output takes into the page:
 * Markdown (math protected) → KaTeX MathML → DOMPurify → fragment.
 */
export function renderModelMarkdown(text: string): DocumentFragment {
  return sanitizeToFragment(markdownToHtml(text));
}

/** A bare TeX expression (a boxed answer) as display math, sanitized like everything else. */
export function renderModelTex(tex: string): DocumentFragment {
  return sanitizeToFragment(`<div class="math math-display">${renderTex(tex, true)}</div>`);
}

/** Replaces an element's children with rendered model Markdown. */
export function fillWithMarkdown(target: Element, text: string): void {
  target.replaceChildren(renderModelMarkdown(text));
}
