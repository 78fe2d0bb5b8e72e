// Model output is untrusted: nasty payloads through the real sanitizer and the whole Markdown +
// KaTeX + DOMPurify pipeline, in real Chromium under the panel's CSP (DOMPurify cannot be tested
// on happy-dom). Nothing may survive that runs script, loads remotely, navigates or styles itself;
// nothing may trip the CSP either (a violation would mean we emitted something it had to block).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { repoRoot } from './fixtures';

const chromium = '/usr/bin/chromium';
const skip = existsSync(chromium) ? false : `no Chromium at ${chromium}`;

const HTML_PAYLOADS = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=2">',
  '<a href="javascript:window.__pwned=3">x</a>',
  '<a href="data:text/html,<script>parent.__pwned=4</script>">x</a>',
  '<iframe src="https://evil.example"></iframe>',
  '<iframe srcdoc="<script>parent.__pwned=6</script>"></iframe>',
  '<svg><script>window.__pwned=7</script></svg>',
  '<svg onload="window.__pwned=8"><circle r="5"></circle></svg>',
  '<svg><foreignObject><iframe src="javascript:parent.__pwned=9"></iframe></foreignObject></svg>',
  '<math href="javascript:window.__pwned=10"><mi>x</mi></math>',
  '<math><mi xlink:href="javascript:window.__pwned=11">x</mi></math>',
  '<math><maction actiontype="statusline" xlink:href="javascript:window.__pwned=12"><mtext>click</mtext></maction></math>',
  '<span style="background:url(https://evil.example/x)">s</span>',
  '<form action="https://evil.example"><input name="a"><button formaction="javascript:window.__pwned=14">go</button></form>',
  '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
  '<div onclick="window.__pwned=16" onmouseover="window.__pwned=16">d</div>',
  '<a href="  JaVaScRiPt:window.__pwned=17">spaces</a>',
  '<a href="java&#x09;script:window.__pwned=18">tab</a>',
  '<style>body{display:none}</style><link rel="stylesheet" href="https://evil.example/x.css">',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<base href="https://evil.example/">',
  '<details open ontoggle="window.__pwned=22">',
  '<noscript><p title="</noscript><img src=x onerror=window.__pwned=23>">',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=24>',
  '<img srcset="https://evil.example/a.png 1x">',
  '<video poster="https://evil.example/p.png"><source src="https://evil.example/v.mp4"></video>',
  '<a href="vbscript:msgbox(1)">vb</a>',
  '<a href="https://ok.example/" target="_blank" ping="https://evil.example">ok</a>',
  '<template><img src=x onerror=window.__pwned=29></template>',
  '<svg/onload=window.__pwned=30>',
  '<math><semantics><annotation-xml encoding="text/html"><img src=x onerror=window.__pwned=31></annotation-xml></semantics></math>',
  '<a href="https://ok.example/" id="cookie" name="body">clobber</a>',
];

const MARKDOWN_PAYLOADS = [
  '[x](javascript:window.__pwned=101)',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![x](http://remote.example/img.png)',
  '![x](data:image/png;base64,iVBORw0KGgo=)',
  '$\\href{javascript:window.__pwned=105}{click}$',
  '$$\\url{javascript:window.__pwned=106}$$',
  '$\\htmlClass{x}{y}\\htmlId{z}{w}\\htmlStyle{color:red}{v}\\htmlData{a=b}{c}$',
  '$$\\def\\a{\\a\\a}\\a$$',
  '$\\includegraphics{https://evil.example/a.png}$',
  '<img src=x onerror=window.__pwned=110>',
  '[link](https://ok.example "t\\" onmouseover=\\"window.__pwned=111")',
  '`<script>window.__pwned=112</script>`',
  '$\\color{black}{x}$ and $\\textcolor{#000}{y}$ and $\\colorbox{red}{z}$ and $\\rule{20em}{20em}$',
  '<svg/onload=window.__pwned=114>\n\n<iframe src="https://evil.example"></iframe>',
  '\\[ \\href{javascript:alert(1)}{x} \\]',
  '<a href="javascript:window.__pwned=116">raw link</a> [ok](https://ok.example/a?b=1)',
];

type Harness = {
  page: { evaluate: <T, A>(fn: (arg: A) => T, arg: A) => Promise<T>; click(sel: string): Promise<void>; url(): string };
  post(msg: unknown): Promise<void>;
  postMany(msgs: unknown[]): Promise<void>;
  posted(): Promise<Array<{ type: string }>>;
  violations(): Promise<string[]>;
  settle(): Promise<void>;
  close(): Promise<void>;
};

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe('sanitizing model output in Chromium', { skip }, () => {
  let open: (opts?: object) => Promise<Harness>;
  let probe: string;
  const pages: Harness[] = [];
  before(async () => {
    probe = join(mkdtempSync(join(tmpdir(), 'virgo-probe-')), 'probe.js');
    await esbuild.build({ entryPoints: [join(repoRoot, 'test/webview/sanitizeProbe.ts')], outfile: probe, bundle: true,
      platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'warning' });
    const mod = await import(pathToFileURL(join(repoRoot, 'test/webview/harness.mjs')).href);
    open = async (opts = {}) => {
      const h = await mod.openWebviewHarness({ theme: 'dark', extraScripts: [{ name: 'probe.js', path: probe }], ...opts });
      pages.push(h);
      return h;
    };
  });
  after(async () => { for (const h of pages) await h.close(); });

  const check = (h: Harness, payload: string, mode: 'html' | 'md') =>
    h.page.evaluate(([p, m]) => window.__probe.check(p, m), [payload, mode] as [string, 'html' | 'md']);
  const pwned = (h: Harness) => h.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned, null);

  test(`${HTML_PAYLOADS.length} raw HTML payloads through the sanitizer: nothing dangerous survives`, async () => {
    const h = await open();
    const outputs: string[] = [];
    for (const payload of HTML_PAYLOADS) {
      const { problems, html } = await check(h, payload, 'html');
      assert.deepEqual(problems, [], `${payload}\n→ ${html}`);
      outputs.push(html);
    }
    const kept = await check(h, '<a href="https://ok.example/" target="_blank">ok</a>', 'html');
    assert.match(kept.html, /<a href="https:\/\/ok\.example\/" rel="noopener noreferrer">ok<\/a>/);
    await sleep(300);
    assert.equal(await pwned(h), undefined);
    // Parsing raw handlers/styles (inside DOMPurify, in an inert document) already files CSP
    // reports in Chromium, so this page has some; the sanitized output itself must trip none:
    // insert it into a fresh page and expect a clean record there.
    const fresh = await open();
    await fresh.page.evaluate((htmls) => {
      for (const html of htmls) {
        const div = document.createElement('div');
        div.innerHTML = html;
        document.body.append(div);
      }
    }, outputs);
    await sleep(300);
    assert.equal(await pwned(fresh), undefined);
    assert.deepEqual(await fresh.violations(), []);
  });

  test(`${MARKDOWN_PAYLOADS.length} Markdown and TeX payloads, and the live panel: inert, no CSP report at all`, async () => {
    const h = await open();
    for (const payload of MARKDOWN_PAYLOADS) {
      const { problems, html, ms } = await check(h, payload, 'md');
      assert.deepEqual(problems, [], `${payload}\n→ ${html}`);
      assert.ok(ms < 500, `${payload} took ${ms} ms`);
    }
    const image = await check(h, '![the plot](http://remote.example/img.png)', 'md');
    assert.match(image.html, /\[image: the plot\]/);

    // The same payloads (and the raw HTML ones, as model text) as segments of a live session.
    const nasty = [...HTML_PAYLOADS, ...MARKDOWN_PAYLOADS, 'bad TeX $x^{$ and $$\\frac{1}{$$'];
    const segments = nasty.map((text, index) => ({ index, phase: 'thought', kind: index % 5 ? 'step' : 'reflection', reflection: index % 5 ? null : 'verify', text, tokens: 3, ms: 10 }));
    await h.post({ type: 'sessionStarted', question: '<img src=x onerror=window.__pwned=900>', startedAt: 0 });
    await h.postMany([
      { type: 'segments', segments },
      { type: 'progress', open: { index: segments.length, phase: 'thought', kind: 'step', reflection: null, text: '<script>window.__pwned=901</script>[x](javascript:alert(1))' }, chunks: 99 },
      { type: 'answer', answer: { text: '[see](https://ok.example/ref) <img src=x onerror=window.__pwned=902>', boxed: ['\\href{javascript:alert(1)}{5}', '\\sqrt{5}'] } },
    ]);
    await h.settle();
    const problems = await h.page.evaluate(() => [...document.querySelectorAll('.segment__content, .answer__boxed, .answer__solution, .session__question')]
      .flatMap((el) => window.__probe.findProblems(el)), null);
    assert.deepEqual(problems, []);
    assert.equal(await h.page.evaluate(() => document.querySelectorAll('ol.thought li.segment').length, null), segments.length + 1);

    // A link click never navigates the webview; the host gets openLink.
    const url = h.page.url();
    await h.page.click('[data-role="answer"] a[href="https://ok.example/ref"]');
    await h.settle();
    assert.equal(h.page.url(), url);
    assert.deepEqual((await h.posted()).filter((m) => m.type === 'openLink'), [{ type: 'openLink', href: 'https://ok.example/ref' }]);
    await h.post({ type: 'end', reason: 'stop', usage: null });

    await sleep(300);
    assert.equal(await pwned(h), undefined);
    assert.deepEqual(await h.violations(), []);
  });

  test('math survives sanitizing as MathML, without the TeX annotation', async () => {
    const h = await open();
    const { html, problems } = await check(h, 'The side $AB = \\sqrt{5}$ and\n\n$$\n\\boxed{x^2}\n$$', 'md');
    assert.deepEqual(problems, []);
    assert.equal((html.match(/<math/g) ?? []).length, 2);
    assert.match(html, /<msqrt>/);
    assert.match(html, /<menclose notation="box">/);
    assert.doesNotMatch(html, /annotation|\\sqrt/);
  });
});
