import katex from 'katex';

/**
 * KaTeX settings for untrusted TeX. MathML output because it carries no inline styles (the panel's
 * CSP blocks them) and Chromium renders MathML Core natively; `trust: false` turns \href, \url,
 * \includegraphics and \htmlClass into inert red text; maxExpand stops macro bombs such as
 * `\def\a{\a\a}\a` after 500 expansions; maxSize caps \rule and \kern sizes.
 */
const OPTIONS = {
  output: 'mathml',
  throwOnError: false,
  trust: false,
  maxSize: 20,
  maxExpand: 500,
  strict: 'ignore',
} as const;

/** Enough for every distinct formula of a long thought; models repeat the same few many times. */
const MAX_ENTRIES = 2000;

const cache = new Map<string, string>();

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * TeX → MathML markup (not yet sanitized: the caller sanitizes the whole segment). Bad TeX gives
 * KaTeX's error span with the source as text; anything KaTeX throws anyway becomes escaped text.
 */
export function renderTex(tex: string, display: boolean): string {
  const key = (display ? 'D' : 'I') + tex;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Re-insert so the Map's insertion order doubles as least-recently-used order.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let html: string;
  try {
    // KaTeX's error span carries style="color:…". The sanitizer would drop it anyway, but parsing
    // markup with a style attribute in a document under our CSP already files a CSP violation
    // report in Chromium, so it never reaches the parser (KaTeX escapes quotes inside values).
    html = katex.renderToString(tex, { ...OPTIONS, displayMode: display }).replace(/ style="[^"]*"/g, '');
  } catch (err) {
    html = `<code class="math-error" title="${escapeHtml(String(err))}">${escapeHtml(tex)}</code>`;
  }
  cache.set(key, html);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  return html;
}

export function texCacheSize(): number {
  return cache.size;
}
