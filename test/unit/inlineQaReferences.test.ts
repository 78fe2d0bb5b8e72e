// Finding image references in every document kind, resolving them, and keeping the index right
// under incremental edits.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DocumentReferences, languageOf, type DocLanguage } from '../../server/inlineQa/referenceIndex';
import { resolveReference } from '../../server/inlineQa/referenceResolver';

let dir: string;
const PNG = Buffer.from('89504e470d0a1a0a', 'hex');
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'virgo-refs-'));
  for (const f of ['figure.png', 'figs/circuit.png', 'figs/fig3.jpg', 'figs/only.pdf', 'img/a b.png', 'images/chart.png', 'pics/fig(1).png']) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), PNG);
  }
});

function docOf(language: DocLanguage, text: string, name = 'doc'): DocumentReferences {
  return new DocumentReferences(language, TextDocument.create(pathToFileURL(join(dir, name)).toString(), language, 1, text));
}
const targets = (d: DocumentReferences) => d.references().map((r) => r.target);
const at = (d: DocumentReferences, i: number) => {
  const r = d.references()[i];
  return { text: d.document.getText(r.range), target: d.document.getText(r.targetRange), alt: r.altRange && d.document.getText(r.altRange) };
};

test('Markdown: inline, titled, <angle>, parenthesized and reference-style images; not in code or comments', () => {
  const d = docOf('markdown', [
    '# Figures',
    '![A circuit](figs/circuit.png "The circuit") and ![](<img/a b.png>)',
    '![paren](pics/fig(1).png) \\![escaped](no1.png)',
    '```md',
    '![in a fence](no2.png)',
    '```',
    '`![in code](no3.png)` <!-- ![in a comment](no4.png)',
    'still a comment ![x](no5.png) -->',
    '![Chart][chart] and ![chart]',
    '[chart]: images/chart.png',
    '![undefined][nope]',
  ].join('\n'));
  assert.deepEqual(targets(d), ['figs/circuit.png', 'img/a b.png', 'pics/fig(1).png', 'images/chart.png', 'images/chart.png']);
  assert.deepEqual(at(d, 0), { text: '![A circuit](figs/circuit.png "The circuit")', target: 'figs/circuit.png', alt: 'A circuit' });
  assert.equal(at(d, 1).target, 'img/a b.png');
  assert.equal(at(d, 3).alt, 'Chart');
});

test('HTML (and inline HTML in Markdown): <img src>, quotes, alt, a tag over several lines, comments', () => {
  const d = docOf('html', [
    '<p><IMG alt="The figure" SRC="figure.png"> <img src=\'figs/circuit.png\'></p>',
    '<!-- <img src="no.png"> -->',
    '<img',
    '   class="wide" alt="x > y"',
    '   src="images/chart.png">',
    '<img alt="no source">',
  ].join('\n'));
  assert.deepEqual(targets(d), ['figure.png', 'figs/circuit.png', 'images/chart.png']);
  assert.equal(at(d, 0).alt, 'The figure');
  assert.equal(d.references()[2].range.start.line, 4);
  const md = docOf('markdown', 'Text <img src="figure.png" width="40"> more');
  assert.deepEqual(targets(md), ['figure.png']);
});

test('LaTeX: \\includegraphics with options, not in comments or verbatim; \\graphicspath and missing extensions', () => {
  const d = docOf('latex', [
    '\\graphicspath{{figs/}{images/}}',
    '\\begin{figure}',
    '  \\includegraphics[width=0.8\\linewidth]{circuit}',
    '  % \\includegraphics{commented}',
    '  100\\% \\includegraphics*{fig3}',
    '\\end{figure}',
    '\\begin{verbatim}',
    '\\includegraphics{not-here}',
    '\\end{verbatim}',
    '\\includegraphics{chart.png} \\includegraphics{only} \\includegraphics{missing}',
  ].join('\n'), 'paper.tex');
  assert.deepEqual(targets(d), ['circuit', 'fig3', 'chart.png', 'only', 'missing']);
  assert.equal(at(d, 0).target, 'circuit');
  const r = d.references().map((ref) => resolveReference(d, ref, [dir]));
  assert.deepEqual(r.slice(0, 3).map((x) => x.kind === 'file' && x.path), [join(dir, 'figs/circuit.png'), join(dir, 'figs/fig3.jpg'), join(dir, 'images/chart.png')]);
  assert.equal(r[3].kind, 'unavailable');
  assert.match((r[3] as { message: string }).message, /only\.pdf is a PDF figure.*Export it as PNG/);
  assert.match((r[4] as { message: string }).message, /missing was not found/);
});

test('reStructuredText: image, figure and substitution directives', () => {
  const d = docOf('rst', [
    'Title',
    '=====',
    '.. image:: figure.png',
    '   :alt: What is the area?',
    '',
    '  .. figure:: figs/circuit.png',
    '',
    '     The circuit.',
    '.. |logo| image:: images/chart.png',
    '.. note:: not an image',
  ].join('\n'), 'doc.rst');
  assert.deepEqual(targets(d), ['figure.png', 'figs/circuit.png', 'images/chart.png']);
  assert.deepEqual(d.references().map((r) => r.syntax), ['rst-image', 'rst-figure', 'rst-image']);
  assert.equal(at(d, 1).text, '.. figure:: figs/circuit.png');
});

test('AsciiDoc: block and inline images, alt text, :imagesdir:, literal blocks and comments skipped', () => {
  const d = docOf('asciidoc', [
    ':imagesdir: figs',
    'image::circuit.png[The circuit,300,200]',
    'Inline image:circuit.png[] here.',
    '// image::commented.png[]',
    '----',
    'image::listing.png[]',
    '----',
    ':imagesdir: images',
    'image::chart.png[width=200]',
  ].join('\n'), 'doc.adoc');
  assert.deepEqual(targets(d), ['circuit.png', 'circuit.png', 'chart.png']);
  assert.equal(at(d, 0).alt, 'The circuit');
  assert.equal(d.references()[2].alt, undefined, 'a name=value attribute is not alt text');
  const r = d.references().map((ref) => resolveReference(d, ref, [dir]));
  assert.deepEqual(r.map((x) => x.kind === 'file' && x.path), [join(dir, 'figs/circuit.png'), join(dir, 'figs/circuit.png'), join(dir, 'images/chart.png')]);
});

test('Jupyter notebook as JSON: Markdown cells, attachments decoded, ranges inside the JSON strings', () => {
  const attachment = PNG.toString('base64');
  const nb = JSON.stringify({
    cells: [
      { cell_type: 'code', source: ['![not markdown](no.png)'], metadata: {}, outputs: [], execution_count: null },
      { cell_type: 'markdown', metadata: {}, source: ['# A \\"quoted\\" title\n', '![diagram](attachment:diagram.png) and ![](figs/circuit.png)'], attachments: { 'diagram.png': { 'image/png': attachment } } },
    ],
    metadata: {}, nbformat: 4, nbformat_minor: 5,
  }, null, 1);
  const d = docOf('ipynb', nb, 'nb.ipynb');
  assert.deepEqual(targets(d), ['attachment:diagram.png', 'figs/circuit.png']);
  assert.equal(d.document.getText(d.references()[0].targetRange), 'attachment:diagram.png');
  assert.equal(d.document.getText(d.references()[1].range), '![](figs/circuit.png)');
  const att = resolveReference(d, d.references()[0], [dir]);
  assert.equal(att.kind, 'inline');
  assert.deepEqual(Buffer.from((att as { base64: string }).base64, 'base64'), PNG);
  const file = resolveReference(d, d.references()[1], [dir]);
  assert.equal(file.kind === 'file' && file.path, join(dir, 'figs/circuit.png'));
  // A notebook cell opened as a cell (VS Code) is Markdown; its attachments come from the saved notebook.
  const cellUri = `vscode-notebook-cell:${join(dir, 'nb.ipynb')}#W1sZmlsZQ%3D%3D`;
  assert.equal(languageOf(cellUri, 'markdown'), 'markdown');
  const cell = new DocumentReferences('markdown', TextDocument.create(cellUri, 'markdown', 1, '![d](attachment:diagram.png)'));
  const cellAtt = resolveReference(cell, cell.references()[0], [dir]);
  assert.deepEqual(cellAtt.kind === 'notebookAttachment' && [cellAtt.notebookPath, cellAtt.name], [join(dir, 'nb.ipynb'), 'diagram.png']);
  // A remote host (code-server) puts an authority in the cell URI.
  const remote = new DocumentReferences('markdown', TextDocument.create(`vscode-notebook-cell://127.0.0.1:8080${pathToFileURL(join(dir, 'nb.ipynb')).pathname}#W0s`, 'markdown', 1, '![](figs/circuit.png)'));
  const remoteFile = resolveReference(remote, remote.references()[0], [dir]);
  assert.equal(remoteFile.kind === 'file' && remoteFile.path, join(dir, 'figs/circuit.png'));
});

test('resolution: remote URLs are not fetched, data: URIs are inline, %-escapes, site-absolute paths, unsaved documents', () => {
  const d = docOf('markdown', [
    '![badge](https://img.shields.io/badge/x-y-green.png) ![p](//cdn.example.com/a.png)',
    '![d](data:image/png;base64,iVBORw0KGgo=) ![e](img/a%20b.png?raw=1) ![s](/images/chart.png) ![m](no-such.png)',
  ].join('\n'), 'sub/readme.md');
  const kinds = d.references().map((r) => resolveReference(d, r, [dir]));
  assert.deepEqual(kinds.map((k) => k.kind), ['remote', 'remote', 'inline', 'unavailable', 'file', 'unavailable']);
  assert.equal(kinds[1].kind === 'remote' && kinds[1].url, 'https://cdn.example.com/a.png');
  const top = docOf('markdown', '![e](img/a%20b.png?raw=1)', 'top.md');
  const e = resolveReference(top, top.references()[0], [dir]);
  assert.equal(e.kind === 'file' && e.path, join(dir, 'img/a b.png'));
  assert.equal(kinds[4].kind === 'file' && kinds[4].path, join(dir, 'images/chart.png'));
  const untitled = new DocumentReferences('markdown', TextDocument.create('untitled:Untitled-1', 'markdown', 1, '![x](figure.png)'));
  const u = resolveReference(untitled, untitled.references()[0], [dir]);
  assert.equal(u.kind === 'unavailable' && u.why, 'unsaved');
});

test('languages: by language id, else by extension (rST and AsciiDoc often open as plain text)', () => {
  assert.equal(languageOf('file:///a/x.md', 'markdown'), 'markdown');
  assert.equal(languageOf('file:///a/x.rst', 'plaintext'), 'rst');
  assert.equal(languageOf('file:///a/x.adoc', 'plaintext'), 'asciidoc');
  assert.equal(languageOf('file:///a/x.tex', 'latex'), 'latex');
  assert.equal(languageOf('file:///a/x.ipynb', 'json'), 'ipynb');
  assert.equal(languageOf('file:///a/x.ts', 'typescript'), undefined);
  assert.equal(languageOf('vscode-notebook-cell:/a/x.ipynb#c1', 'python'), undefined);
});

// ---- the incremental index ---------------------------------------------------------------------

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

const PIECES: Record<Exclude<DocLanguage, 'ipynb'>, string[]> = {
  markdown: ['![a](a.png)', '```', '~~~~', '<!--', '-->', '<img', 'src="b.png">', '[r]: c.png', '![r]', 'text ', '`', '\n', '\n\n'],
  latex: ['\\includegraphics{a}', '%', '\\begin{verbatim}', '\\end{verbatim}', '\\graphicspath{{f/}}', 'x ', '\n', '\\%'],
  html: ['<img src="a.png">', '<!--', '-->', '<img', ' src="b.png"', '>', 'text', '\n'],
  rst: ['.. image:: a.png', '.. figure:: b.png', '   :alt: x', '\n', 'text'],
  asciidoc: ['image::a.png[x]', 'image:b.png[]', '----', '////', '// c', ':imagesdir: f', '\n', 'text'],
};

for (const language of Object.keys(PIECES) as Array<keyof typeof PIECES>) {
  test(`incremental index (${language}): 400 random edits give what a full rescan gives`, () => {
    const random = rng(language.length * 7919);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    const initial = Array.from({ length: 60 }, () => pick(PIECES[language])).join('\n');
    const index = docOf(language, initial);
    for (let step = 0; step < 400; step++) {
      const text = index.document.getText();
      const a = Math.floor(random() * (text.length + 1));
      const b = Math.min(text.length, a + Math.floor(random() * 12));
      const insert = Array.from({ length: Math.floor(random() * 3) }, () => pick(PIECES[language])).join(random() < 0.5 ? '\n' : '');
      const range = { start: index.document.positionAt(a), end: index.document.positionAt(b) };
      // Sometimes two changes in one didChange, the second relative to the first's result.
      const changes = [{ range, text: insert }];
      if (random() < 0.2) changes.push({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: pick(PIECES[language]) + '\n' });
      index.update(changes, step + 2);
      const full = docOf(language, index.document.getText());
      assert.deepEqual(index.references(), full.references(), `after edit ${step}`);
      assert.deepEqual(index.directives(), full.directives(), `directives after edit ${step}`);
    }
  });
}

test('a one-line edit in a 5,000-line document rescans that line; an unclosed fence changes everything after it', () => {
  const lines = Array.from({ length: 5000 }, (_, i) => (i % 17 === 0 ? `![fig ${i}](figs/f${i}.png)` : `Line ${i} of prose.`));
  const index = docOf('markdown', lines.join('\n'));
  assert.equal(index.references().length, Math.ceil(5000 / 17));
  index.update([{ range: { start: { line: 2500, character: 0 }, end: { line: 2500, character: 4 } }, text: '![new](n.png) Line' }], 2);
  assert.equal(index.lastRescanned, 1);
  assert.equal(index.references().length, Math.ceil(5000 / 17) + 1);
  index.update([{ range: { start: { line: 100, character: 0 }, end: { line: 100, character: 0 } }, text: '```\n' }], 3);
  assert.equal(index.references().filter((r) => r.range.start.line > 100).length, 0, 'everything after an unclosed fence is code');
  index.update([{ range: { start: { line: 200, character: 0 }, end: { line: 200, character: 0 } }, text: '```\n' }], 4);
  assert.equal(index.references().length, Math.ceil(5000 / 17) + 1 - Math.ceil(100 / 17), 'the fence now holds lines 100–201 only');
  index.update([{ range: { start: { line: 4000, character: 0 }, end: { line: 4000, character: 1 } }, text: 'l' }], 5);
  assert.equal(index.lastRescanned, 1);
  assert.deepEqual(index.references(), docOf('markdown', index.document.getText()).references());
});
