// Markdown + math → HTML, before sanitizing: pure string work, no DOM needed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { texCacheSize } from '../../webview/render/katexCache';
import { markdownToHtml } from '../../webview/render/markdown';
import { blockMathStart, inlineMathStart, maskInlineMath, matchBlockMath, matchInlineMath } from '../../webview/render/mathSyntax';

const mathCount = (html: string): number => (html.match(/<math\b/g) ?? []).length;

describe('math delimiters', () => {
  test('inline $…$ and \\(…\\) become inline MathML', () => {
    for (const src of ['the side $AB = \\sqrt{5}$ here', 'the side \\(AB = \\sqrt{5}\\) here']) {
      const html = markdownToHtml(src);
      assert.equal(mathCount(html), 1, src);
      assert.match(html, /<span class="math math-inline">/);
      assert.doesNotMatch(html, /display="block"/);
      assert.match(html, /<msqrt>/);
    }
  });

  test('$$…$$ and \\[…\\] blocks become display MathML, also inside a paragraph', () => {
    for (const src of ['Then\n\n$$\nAB^2 = 5\n$$\n\nso', 'The theorem gives\n$$\nAB^2 = 5\n$$', 'Then\n\\[\nAB = \\sqrt{5}.\n\\]']) {
      const html = markdownToHtml(src);
      assert.equal(mathCount(html), 1, src);
      assert.match(html, /<div class="math math-display">/);
      assert.match(html, /display="block"/);
    }
    assert.match(markdownToHtml('inline display $$x^2$$ in text'), /<span class="math math-display">.*display="block"/s);
  });

  test('$ inside code spans and fenced code stays text', () => {
    const span = markdownToHtml('run `echo $HOME $x$` now');
    assert.equal(mathCount(span), 0);
    assert.match(span, /<code>echo \$HOME \$x\$<\/code>/);
    const fence = markdownToHtml('```python\nprint("$x$", "$$y$$")\n```');
    assert.equal(mathCount(fence), 0);
    assert.match(fence, /\$x\$/);
  });

  test('\\$ is a literal dollar and prices are not math', () => {
    const escaped = markdownToHtml('costs \\$5 and \\$10 and $x$');
    assert.equal(mathCount(escaped), 1);
    assert.match(escaped, /costs \$5 and \$10 and /);
    assert.equal(mathCount(markdownToHtml('between $5 and $10 each')), 0);
    assert.equal(mathCount(markdownToHtml('$ x$ and $x $ are not math')), 0);
  });

  test('TeX underscores and stars never become emphasis', () => {
    const html = markdownToHtml('with $a_1 * b_2$ and $c_3 * d_4$ and _real emphasis_');
    assert.equal(mathCount(html), 2);
    assert.equal((html.match(/<em>/g) ?? []).length, 1);
    assert.match(html, /<em>real emphasis<\/em>/);
    const block = markdownToHtml('$$\n\\frac{a_1}{b_2} * c_3\n$$');
    assert.doesNotMatch(block, /<em>/);
  });

  test('bad TeX renders an error span and does not throw', () => {
    for (const tex of ['$\\frac{1}{$', '$x^{$', '$$\\begin{matrix}$$', '$\\undefinedcommand{x}$']) {
      const html = markdownToHtml(tex);
      assert.ok(html.length > 0, tex);
    }
    assert.match(markdownToHtml('$x^{\\int$'), /katex-error/);
  });

  test('macro bombs stop at maxExpand, quickly', () => {
    const bombs = [
      '$$\\def\\a{\\a\\a}\\a$$',
      '$\\def\\x{\\x\\x\\x\\x}\\x$',
      '$$\\newcommand{\\b}{\\b\\b}\\b$$',
      `$${'\\def\\a{x}'.repeat(200)}\\a$`,
    ];
    for (const bomb of bombs) {
      const t0 = performance.now();
      const html = markdownToHtml(bomb);
      assert.ok(performance.now() - t0 < 500, `took too long: ${bomb}`);
      assert.ok(html.length < 20_000, `output blew up: ${bomb}`);
    }
  });

  test('KaTeX \\href, \\url, \\htmlClass and \\includegraphics stay inert (trust: false)', () => {
    const html = markdownToHtml('$\\href{javascript:alert(1)}{x}$ $\\url{http://evil}$ $\\htmlClass{x}{y}$ $\\includegraphics{http://evil/a.png}$ $\\htmlStyle{color:red}{z}$');
    assert.doesNotMatch(html, /<a\b/);
    assert.doesNotMatch(html, /\bhref=/);
    assert.doesNotMatch(html, /<img\b/);
    assert.doesNotMatch(html, /style="color:red"/);
  });

  test('renders of the same TeX are cached', () => {
    markdownToHtml('$q_{cache} + 1$');
    const size = texCacheSize();
    markdownToHtml('again $q_{cache} + 1$ and again $q_{cache} + 1$');
    assert.equal(texCacheSize(), size);
  });
});

describe('model Markdown policy', () => {
  test('raw HTML is shown as text', () => {
    const html = markdownToHtml('<script>alert(1)</script> and <b onclick="x()">bold</b>\n\n<div>block</div>');
    assert.doesNotMatch(html, /<script|<b |<div>/);
    assert.match(html, /&#60;script&#62;/);
  });

  test('links keep only http(s) targets', () => {
    const html = markdownToHtml('[a](javascript:alert(1)) [b](data:text/html,x) [c](vbscript:x) [d](https://example.com/x?y=1) <https://auto.example> [e](file:///etc/passwd)');
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(hrefs, ['https://example.com/x?y=1', 'https://auto.example/']);
  });

  test('images are never loaded: alt text instead', () => {
    const html = markdownToHtml('![the plot](http://remote.example/img.png) ![](https://x/y.png)');
    assert.doesNotMatch(html, /<img\b/);
    assert.doesNotMatch(html, /remote\.example/);
    assert.match(html, /\[image: the plot\]/);
  });

  test('task list checkboxes become characters, not inputs', () => {
    assert.doesNotMatch(markdownToHtml('- [ ] a\n- [x] b'), /<input/);
  });
});

describe('math scanning', () => {
  test('matchInlineMath follows the Pandoc rules', () => {
    assert.deepEqual(matchInlineMath('$x$ rest'), { raw: '$x$', tex: 'x', display: false });
    assert.equal(matchInlineMath('$5 and $6'), null);
    assert.equal(matchInlineMath('$x$5'), null);
    assert.deepEqual(matchInlineMath('$a \\$ b$'), { raw: '$a \\$ b$', tex: 'a \\$ b', display: false });
    assert.equal(matchInlineMath('$x\n\ny$'), null);
    assert.deepEqual(matchInlineMath('\\(a\\\\)b\\)'), { raw: '\\(a\\\\)b\\)', tex: 'a\\\\)b', display: false });
  });

  test('block math must open and close a line', () => {
    assert.ok(matchBlockMath('$$\nx\n$$\nmore'));
    assert.equal(matchBlockMath('$$x$$ and text'), null);
    assert.equal(blockMathStart('para\n$$x$$ and text'), -1);
    assert.equal(blockMathStart('para\n\\[\nx\n\\]'), 5);
  });

  test('inlineMathStart skips escaped dollars; maskInlineMath keeps length', () => {
    assert.equal(inlineMathStart('a \\$ b $c$'), 7);
    const src = 'x $a_1*b$ _y_ \\$ $$c_2$$';
    const masked = maskInlineMath(src);
    assert.equal(masked.length, src.length);
    assert.equal(masked.slice(0, 10), 'x $aa1ab$ ');
    assert.match(masked, /_y_/);
  });
});
