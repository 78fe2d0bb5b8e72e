// The render benchmark's baseline: what the anchors do with a streamed answer. Every update
// re-renders the WHOLE message so far: marked (with a KaTeX math extension in the style of
// marked-katex-extension) → DOMPurify → innerHTML, then scrolls to the end. Bundled for the
// browser by renderBench.mjs with esbuild and served by test/webview/harness.mjs in place of the
// panel, under the same CSP, theme and panel.css.
//
// Kept as plain JS (not .ts): it is browser code, and the root tsconfig compiles bench/**/*.ts
// without the DOM lib.
//
// Deliberately generous to the baseline: KaTeX writes MathML only (as our panel does; the usual
// HTML+MathML output would cost far more DOM), DOMPurify uses its default profile with MathML, and
// its math rules are fixed so that no formula of the benchmark text becomes an error.
//
// Messages (window message events, like the panel's): {type:'chunk', text} appends and renders.
// Built a second time with __COALESCE__ = true (an esbuild define), it renders at most once per
// animation frame instead: fairer to the baseline than the anchors are, reported separately.
import katex from 'katex';
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const KATEX = { output: 'mathml', throwOnError: false, strict: 'ignore' };

// Without KaTeX's inline style on error spans, as our panel does: under the CSP each one would
// cost a violation report per render.
function tex(source, displayMode) {
  return katex.renderToString(source, { ...KATEX, displayMode }).replace(/ style="[^"]*"/g, '');
}

// marked-katex-extension's rules (closing `$` also before `)`, `]` and `;`, so no formula turns
// into an error span), plus \( \) and \[ \] (Virgo writes both).
const inlineRule = /^(\${1,2})(?!\$)((?:\\.|[^\\\n])*?(?:\\.|[^\\\n$]))\1(?=[\s?!.,:;)\]]|$)/;
const inlineParen = /^\\\(((?:\\[^)]|[^\\])+?)\\\)/;
const blockRule = /^(\${1,2})\n((?:\\[^]|[^\\])+?)\n\1(?:\n|$)/;
const blockBracket = /^\\\[\n?((?:\\[^\]]|[^\\])+?)\n?\\\](?:\n|$)/;

const extensions = [
  {
    name: 'blockKatex',
    level: 'block',
    tokenizer(src) {
      const m = blockRule.exec(src) ?? blockBracket.exec(src);
      if (!m) return undefined;
      return { type: 'blockKatex', raw: m[0], text: (m[2] ?? m[1]).trim(), displayMode: true };
    },
    renderer: (token) => `${tex(token.text, true)}\n`,
  },
  {
    name: 'inlineKatex',
    level: 'inline',
    start(src) {
      const i = src.search(/\$|\\\(/);
      return i < 0 ? undefined : i;
    },
    tokenizer(src) {
      const m = inlineRule.exec(src);
      if (m) return { type: 'inlineKatex', raw: m[0], text: m[2].trim(), displayMode: m[1].length === 2 };
      const p = inlineParen.exec(src);
      if (p) return { type: 'inlineKatex', raw: p[0], text: p[1].trim(), displayMode: false };
      return undefined;
    },
    renderer: (token) => tex(token.text, token.displayMode),
  },
];

const md = new Marked({ gfm: true, async: false, extensions });
const purify = DOMPurify(window);
const PURIFY = { USE_PROFILES: { html: true, mathMl: true } };

const content = document.createElement('div');
content.className = 'md';
const scroller = document.createElement('div');
scroller.className = 'scroller';
scroller.append(content);
const main = document.createElement('div');
main.className = 'session__main';
main.append(scroller);
const session = document.createElement('div');
session.className = 'session';
session.append(main);
const app = document.createElement('div');
app.className = 'app';
app.append(session);
(document.getElementById('app') ?? document.body).append(app);

/* global __COALESCE__ */
const coalesce = __COALESCE__;
let text = '';
let pending = false;
let renders = 0;

function render() {
  pending = false;
  renders++;
  content.innerHTML = purify.sanitize(md.parse(text), PURIFY);
  scroller.scrollTop = scroller.scrollHeight;
}

window.addEventListener('message', (event) => {
  const m = event.data;
  if (m?.type !== 'chunk') return;
  text += m.text;
  if (!coalesce) render();
  else if (!pending) {
    pending = true;
    requestAnimationFrame(render);
  }
});

window.__baseline = { renders: () => renders, chars: () => text.length };
acquireVsCodeApi().postMessage({ type: 'ready' });
