/**
 * Browser-side half of sanitize.browser.test.ts, bundled into the harness page before main.js:
 * runs a payload through the sanitizer (raw HTML) or the whole model-output pipeline (Markdown),
 * inserts the result into the live document and lists anything dangerous that survived.
 */
import { renderModelMarkdown } from '../../webview/render/modelContent';
import { sanitizeToFragment } from '../../webview/render/sanitize';

const FORBIDDEN_TAGS = new Set([
  'script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'form', 'input', 'button', 'textarea', 'select', 'img',
  'image', 'svg', 'foreignobject', 'style', 'link', 'meta', 'base', 'video', 'audio', 'source', 'use', 'animate', 'set',
  'template', 'noscript', 'isindex', 'maction', 'annotation-xml',
]);
const URL_ATTRS = new Set(['src', 'srcset', 'srcdoc', 'action', 'formaction', 'background', 'poster', 'data', 'xlink:href', 'ping', 'target']);

/** Everything in `root` that could run script, load something, navigate, or style itself. */
export function findProblems(root: Element): string[] {
  const problems: string[] = [];
  for (const el of root.querySelectorAll('*')) {
    const tag = el.localName.toLowerCase();
    if (FORBIDDEN_TAGS.has(tag)) problems.push(`<${tag}>`);
    for (const a of Array.from(el.attributes)) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on')) problems.push(`${tag}[${name}]`);
      else if (name === 'style') problems.push(`${tag}[style]`);
      else if (URL_ATTRS.has(name) || name.endsWith(':href')) problems.push(`${tag}[${name}=${a.value}]`);
      else if (name === 'href' && (tag !== 'a' || !/^https?:\/\//i.test(a.value))) problems.push(`${tag}[href=${a.value}]`);
      else if (name === 'mathcolor' || name === 'mathbackground') problems.push(`${tag}[${name}]`);
    }
  }
  return problems;
}

declare global {
  interface Window {
    __probe: { check(payload: string, mode: 'html' | 'md'): { problems: string[]; html: string; ms: number }; findProblems: typeof findProblems };
  }
}

window.__probe = {
  check(payload, mode) {
    const host = document.createElement('div');
    host.className = 'probe md';
    const t0 = performance.now();
    host.append(mode === 'html' ? sanitizeToFragment(payload) : renderModelMarkdown(payload));
    const ms = performance.now() - t0;
    document.body.append(host);
    return { problems: findProblems(host), html: host.innerHTML, ms };
  },
  findProblems,
};
