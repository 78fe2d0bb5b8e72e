// How stored answers read (lens, hint, hover), what the code actions insert per language, and the
// answer store on disk (keys, persistence, staleness, a broken index).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { StoredAnswer } from '../../protocol/inlineQa';
import { answerInsertions, suggestedQuestion } from '../../server/inlineQa/answerInsertions';
import { prettyTex } from '../../protocol/prettyTex';
import { hoverMarkdown, inlayLabel, lensTitle, shortAnswer, thoughtMarkdown } from '../../server/inlineQa/answerPresentation';
import { answerKey, AnswerStore, sha256, sourceKeys, summarize, type AnswerSummary } from '../../server/inlineQa/answerStore';
import { DocumentReferences, type DocLanguage } from '../../server/inlineQa/referenceIndex';

const PARAMS = { maxTokens: 8192, temperature: 0, maxPixels: 12845056, promptPrefix: 'p' };

function stored(over: Partial<StoredAnswer> = {}): StoredAnswer {
  const key = answerKey('a'.repeat(64), 'What is AB?', 'virgo-72b', PARAMS);
  return {
    version: 1, key, imageSha256: 'a'.repeat(64), source: '/w/figure.png', question: 'What is AB?', model: 'virgo-72b', params: PARAMS,
    createdAt: Date.UTC(2026, 10, 26, 12, 0), durationMs: 41_200,
    start: { type: 'start', model: 'virgo-72b', file: 'figure.png', width: 640, height: 480, sentWidth: 644, sentHeight: 476, imageTokens: 391, mime: 'image/png', bytes: 7000 },
    segments: [
      { index: 0, phase: 'thought', kind: 'step', reflection: null, text: 'AC = 1, BC = 2.', tokens: 1000, ms: 10 },
      { index: 1, phase: 'thought', kind: 'reflection', reflection: 'verify', text: 'Let me check: 1 + 4 = 5.', tokens: 1000, ms: 10 },
      { index: 2, phase: 'solution', kind: 'step', reflection: null, text: 'AB = \\boxed{\\sqrt{5}}', tokens: 140, ms: 10 },
    ],
    answer: { text: 'AB = \\boxed{\\sqrt{5}}', boxed: ['\\sqrt{5}'] },
    end: { reason: 'stop', usage: { prompt_tokens: 500, completion_tokens: 2140, total_tokens: 2640 } },
    image: { name: 'figure.png', info: { width: 640, height: 480, sentWidth: 644, sentHeight: 476, imageTokens: 391, mime: 'image/png', bytes: 7000 }, thumbnailBase64: '' },
    ...over,
  };
}

test('boxed TeX reads as text: roots, fractions, degrees, Greek, \\text', () => {
  assert.equal(prettyTex('\\sqrt{5}'), '√5');
  assert.equal(prettyTex('2\\sqrt{3}'), '2√3');
  assert.equal(prettyTex('\\frac{\\sqrt{3}}{2}'), '√3/2');
  assert.equal(prettyTex('\\dfrac{a+b}{2}'), '(a+b)/2');
  assert.equal(prettyTex('30^\\circ'), '30°');
  assert.equal(prettyTex('2\\pi r^2'), '2π r²');
  assert.equal(prettyTex('12 \\text{ cm}^{2}'), '12 cm²');
  assert.equal(prettyTex('\\left( 1, 2 \\right)'), '( 1, 2 )');
});

test('the lens, the inlay hint and the hover say the answer, its cost and whether it is stale', () => {
  const s = summarize(stored());
  assert.equal(lensTitle(s, 'fresh'), 'Virgo: √5 · 2,140 tokens · 41 s');
  assert.equal(lensTitle(s, 'stale'), 'Virgo (image changed): √5 · 2,140 tokens · 41 s');
  assert.equal(inlayLabel(s, 'stale'), 'Virgo (stale): √5');
  const noBox: AnswerSummary = { ...s, boxed: null, answerText: 'The figure shows a right triangle with legs 1 and 2 and a hypotenuse marked with a question mark.' };
  assert.equal(shortAnswer(noBox), 'The figure shows a right triangle with legs 1 a…');
  assert.equal(shortAnswer({ ...noBox, answerText: '', reason: 'length' }), 'no answer (stopped at max tokens)');
  const md = hoverMarkdown({
    name: 'figure.png', imageLine: '640×480 px', answer: { summary: { ...s, question: 'Is *this* <b>it</b>?' }, freshness: 'stale' },
    askArgs: { uri: 'file:///w/a.md', position: { line: 4, character: 0 } },
  });
  assert.match(md, /\*\*Last question:\*\* Is \\\*this\\\* \\<b\\>it\\<\/b\\>\?/, 'document text cannot inject Markdown or HTML');
  assert.match(md, /\*\*Answer:\*\* √5 \(`\\sqrt\{5\}`\)/);
  assert.match(md, /⚠ The image changed since this answer/);
  const ask = /\[Ask again…\]\(command:virgo\.askAboutReference\?([^)]+)\)/.exec(md)!;
  assert.deepEqual(JSON.parse(decodeURIComponent(ask[1])), [{ uri: 'file:///w/a.md', position: { line: 4, character: 0 } }]);
  const thought = thoughtMarkdown(stored());
  assert.match(thought, /^# Virgo: What is AB\?\n/);
  // The same body as the panel's "Copy thought as Markdown" (protocol/thoughtMarkdown.ts).
  assert.match(thought, /## Thought\n\n\*\*Step 1\*\* AC = 1, BC = 2\.\n\n\*\*Reflection 1 \(verify\)\*\* Let me check/);
  assert.match(thought, /## Solution/);
});

function doc(language: DocLanguage, text: string): DocumentReferences {
  return new DocumentReferences(language, TextDocument.create('file:///w/doc', language, 1, text));
}
function apply(d: DocumentReferences, title: RegExp, s = summarize(stored())): string {
  const ins = answerInsertions(d, d.references()[0], s).find((i) => title.test(i.title));
  assert.ok(ins, `no insertion matching ${title}: ${answerInsertions(d, d.references()[0], s).map((i) => i.title).join(', ')}`);
  return TextDocument.applyEdits(d.document, [ins.edit]);
}

test('code actions insert the answer the way each language keeps text about a figure', () => {
  assert.equal(apply(doc('markdown', 'See ![old [alt]](figure.png) here.'), /alt text/), 'See ![√5](figure.png) here.');
  const brackets = summarize(stored({ answer: { text: '', boxed: ['[0, 1]'] } }));
  assert.equal(apply(doc('markdown', '![](f.png)'), /alt text/, brackets), '![\\[0, 1\\]](f.png)');
  assert.equal(apply(doc('markdown', '  ![x](f.png)'), /comment/), '  ![x](f.png)\n  <!-- Virgo (virgo-72b): What is AB? → √5 -->');
  assert.equal(apply(doc('html', '<img src="f.png">'), /alt text/), '<img alt="√5" src="f.png">');
  assert.equal(apply(doc('html', '<img alt="x" src="f.png">'), /alt text/), '<img alt="√5" src="f.png">');
  assert.equal(apply(doc('latex', '\\begin{figure}\n  \\includegraphics{f}\n\\end{figure}'), /caption/), '\\begin{figure}\n  \\includegraphics{f}\n  \\caption{$\\sqrt{5}$}\n\\end{figure}');
  const captioned = doc('latex', '\\includegraphics{f}\n\\caption{Old}');
  assert.deepEqual(answerInsertions(captioned, captioned.references()[0], summarize(stored())).map((i) => i.title), ["Insert Virgo's answer as a comment"]);
  assert.equal(apply(doc('rst', '.. figure:: f.png\n   :width: 50%\n\n   The caption.\n\nNext.'), /alt text/), '.. figure:: f.png\n   :alt: √5\n   :width: 50%\n\n   The caption.\n\nNext.');
  assert.equal(apply(doc('rst', '.. figure:: f.png\n   :width: 50%\n\n   The caption.\n\nNext.'), /comment/),
    '.. figure:: f.png\n   :width: 50%\n\n   The caption.\n\n.. Virgo (virgo-72b): What is AB? → √5\n\nNext.', 'after the figure, not inside it');
  assert.equal(apply(doc('rst', '.. image:: f.png\n   :alt: old'), /Replace/), '.. image:: f.png\n   :alt: √5');
  assert.equal(apply(doc('asciidoc', 'image::f.png[Old alt,300]'), /alt text/), 'image::f.png[√5,300]');
  assert.equal(apply(doc('asciidoc', 'image::f.png[]'), /alt text/, brackets), 'image::f.png["[0, 1\\]"]', 'only ] needs escaping in an attribute list');
});

test('the default question is the alt text or caption when it asks one', () => {
  const q = (language: DocLanguage, text: string) => { const d = doc(language, text); return suggestedQuestion(d, d.references()[0]); };
  assert.equal(q('markdown', '![What is the area of the square?](f.png)'), 'What is the area of the square?');
  assert.equal(q('markdown', '![A square](f.png)'), undefined);
  assert.equal(q('latex', '\\includegraphics{f}\n\\caption{Which resistor dissipates the most power?}'), 'Which resistor dissipates the most power?');
  assert.equal(q('rst', '.. image:: f.png\n   :alt: How many edges?'), 'How many edges?');
});

test('the store: answers and index survive a new instance; a changed file is stale only when its bytes changed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'virgo-store-'));
  const image = join(dir, 'figure.png');
  writeFileSync(image, 'image bytes v1');
  const a = stored({ imageSha256: sha256(Buffer.from('image bytes v1')) });
  const store = await AnswerStore.open(join(dir, 'answers'));
  const keys = sourceKeys('file:///w/a.md', image);
  await store.save(a, keys, { mtimeMs: 1, size: 14 });

  const again = await AnswerStore.open(join(dir, 'answers'));
  assert.equal(again.latest(keys)?.summary.boxed, '\\sqrt{5}');
  assert.equal(again.latest(sourceKeys('file:///w/other.md', image))?.summary.key, a.key, 'another document sees the image\'s answer');
  assert.deepEqual((await again.load(a.key))?.segments, a.segments);
  assert.equal(await again.load('../../etc/passwd'), null, 'keys are hashes, never paths');

  const entry = again.latest(keys)!.entry;
  utimesSync(image, new Date(), new Date(Date.now() + 5000));
  assert.equal(await again.fileFreshness(image, entry), 'fresh', 'touched, same bytes');
  writeFileSync(image, 'image bytes v2');
  assert.equal(await again.fileFreshness(image, entry), 'stale');
  assert.equal(await again.fileFreshness(join(dir, 'gone.png'), entry), 'missing');

  // Two servers (two windows) share the directory: neither loses the other's answers.
  const b = stored({ key: answerKey('b'.repeat(64), 'q2', 'm', PARAMS), question: 'q2' });
  await store.save(b, sourceKeys('file:///w/b.md', '/w/b.png'));
  await again.save({ ...a, key: answerKey('c'.repeat(64), 'q3', 'm', PARAMS) }, sourceKeys('file:///w/c.md', '/w/c.png'));
  const merged = await AnswerStore.open(join(dir, 'answers'));
  assert.ok(merged.latest(['/w/b.png']) && merged.latest(['/w/c.png']));
});

test('the store: an unreadable index is kept aside, not overwritten, and the store starts empty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'virgo-store-'));
  writeFileSync(join(dir, 'index.json'), '{ not json');
  const store = await AnswerStore.open(dir);
  assert.equal(store.latest(['/x']), undefined);
  assert.equal(readFileSync(join(dir, 'index.json.broken'), 'utf8'), '{ not json');
  await store.save(stored(), ['/x']);
  assert.ok(existsSync(join(dir, 'answers', `${stored().key}.json`)));
  assert.equal(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).version, 1);
});
