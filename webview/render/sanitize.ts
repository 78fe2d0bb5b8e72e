import createDOMPurify, { type Config, type DOMPurify } from 'dompurify';
import { safeHref } from './links';

/**
 * The sanitizer every piece of model-derived HTML goes through before it touches the page. The
 * allowlist is HTML + MathML (no SVG); on top of DOMPurify's defaults we drop anything that could
 * load, submit, embed or style: the panel's CSP would block most of it, but we do not rely on that.
 */
const CONFIG: Config = {
  USE_PROFILES: { html: true, mathMl: true },
  FORBID_TAGS: [
    'style', 'link', 'meta', 'base', 'template', 'slot', 'noscript',
    'form', 'input', 'button', 'textarea', 'select', 'option', 'optgroup', 'fieldset', 'label', 'output', 'dialog',
    'iframe', 'frame', 'frameset', 'object', 'embed', 'portal', 'canvas', 'map', 'area',
    'img', 'picture', 'source', 'video', 'audio', 'track', 'image',
    'svg', 'foreignobject', 'annotation-xml', 'maction',
  ],
  FORBID_ATTR: [
    'style', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'target', 'ping', 'background', 'poster',
    'id', 'name', 'mathbackground', 'autofocus', 'tabindex', 'contenteditable', 'draggable',
  ],
  // DOMPurify keeps the children of tags it removes; a KaTeX annotation's child is the TeX source,
  // which would then show as text next to the formula once <semantics> is unwrapped.
  ADD_FORBID_CONTENTS: ['annotation'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // No ALLOWED_URI_REGEXP: DOMPurify applies it to every attribute value it does not know to be
  // URI-safe, which would strip MathML's display="block", notation="box" and the like. Links are
  // narrowed to http(s) by the hook below instead.
};

let purifier: DOMPurify | undefined;

/** Built on first use, against whatever `window` is current (the webview's, or a test's). */
function instance(): DOMPurify {
  if (purifier) return purifier;
  const p = createDOMPurify(window);
  p.addHook('afterSanitizeAttributes', (node) => {
    if (!(node instanceof Element)) return;
    // MathML's href (and anything else href-like) is not a link we handle: only <a> keeps one.
    if (node.hasAttribute('href')) {
      const href = node.getAttribute('href') ?? '';
      const safe = node.localName === 'a' ? safeHref(href) : null;
      if (safe) node.setAttribute('href', safe);
      else node.removeAttribute('href');
    }
    if (node.localName === 'a') node.setAttribute('rel', 'noopener noreferrer');
    // A colour chosen for a white page can vanish on a dark theme; KaTeX's own red for unsupported
    // commands is kept as a class so the theme's error colour shows instead.
    const color = node.getAttribute('mathcolor');
    if (color !== null) {
      node.removeAttribute('mathcolor');
      if (color.toLowerCase() === '#cc0000') node.classList.add('math-unsupported');
    }
  });
  // Parsed once: passing a config to every sanitize() call re-parses it, per segment.
  p.setConfig({ ...CONFIG, RETURN_DOM_FRAGMENT: true });
  purifier = p;
  return p;
}

/** Sanitized markup as a fragment ready to append (no second HTML parse). */
export function sanitizeToFragment(html: string): DocumentFragment {
  return instance().sanitize(html) as unknown as DocumentFragment;
}

