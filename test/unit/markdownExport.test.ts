// A history session as Markdown: the panel's numbering and reflection labels, the answer, the
// image link, the facts footer, and the model's math and code untouched.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistorySession } from '../../protocol/history';
import type { Recording } from '../../protocol/recording';
import { summarize } from '../../server/history/historyStore';
import { imageReference, sessionToMarkdown } from '../../server/history/markdownExport';
import { thoughtFromRecording } from '../../server/history/recordingThought';
import { readRecording } from '../../server/replay/recordingFile';
import { thoughtToMarkdown } from '../../protocol/thoughtMarkdown';

const root = join(__dirname, '..', '..', '..');
const transcript = readFileSync(join(root, 'test', 'fixtures', 'transcripts', 'triangle.txt'), 'utf8');
let sample: Recording;

before(async () => {
  sample = await readRecording(join(root, 'media', 'samples', 'right-triangle.recording.json'));
});

function session(recording: Recording, extra: { imagePath?: string; endReason?: 'stop' | 'length' } = {}): HistorySession {
  const summary = summarize(
    { id: 's1', recording, endReason: extra.endReason ?? 'stop', backend: 'lab-a100', ...(extra.imagePath ? { imagePath: extra.imagePath } : {}) },
    undefined, false, Date.UTC(2026, 10, 26, 9, 30),
  );
  const { segments, answer } = thoughtFromRecording(recording);
  return { summary, segments, answer, recording };
}

const triangle = (): Recording => ({
  ...sample,
  events: transcript.match(/[\s\S]{1,6}/g)!.map((content, i) => ({ t: 100 + i * 20, content })),
});

test('title, numbered steps, labelled reflections, solution and boxed answer, in the panel\'s words', () => {
  const s = session(triangle());
  const md = sessionToMarkdown(s);
  assert.match(md, /^# Virgo: What is the length of AB\?\n/);
  const labels = [...md.matchAll(/^\*\*((?:Step|Reflection) \d+(?: \(\w+\))?)\*\*/gm)].map((m) => m[1]);
  assert.deepEqual(labels, [
    'Step 1', 'Step 2', 'Step 3', 'Reflection 1 (backtrack)', 'Reflection 2 (verify)', 'Reflection 3 (alternative)',
    'Step 4', 'Step 5', 'Reflection 4 (backtrack)',
  ]);
  assert.equal(labels.length, s.segments.filter((x) => x.phase === 'thought').length, 'every thought segment is labelled once');
  assert.match(md, /^## Thought$/m);
  assert.match(md, /^## Solution\n\nThe legs are \$AC = 1\$ and \$BC = 2\$/m);
  assert.match(md, /^\*\*Answer:\*\* \$\\sqrt\{5\}\$$/m);
  // The panel's own "Copy as Markdown" gives the same thought, word for word.
  assert.ok(md.includes(thoughtToMarkdown(s.segments, s.answer).trimEnd()));
});

test('math and code are kept verbatim, and a label never glues onto display math or a fence', () => {
  const md = sessionToMarkdown(session(triangle()));
  assert.ok(md.includes('$$\nAB^2 = AC^2 + BC^2\n$$'), 'display math across lines');
  assert.ok(md.includes('$$AB^2 = 1 + 4 = 5$$'));
  assert.ok(md.includes('\\[\nAB = \\sqrt{(1-0)^2 + (0-2)^2} = \\sqrt{5}.\n\\]'), '\\[…\\] display math');
  assert.ok(md.includes('```python\nimport math\n\n# the marker below is quoted code, not the end of the thought\nprint("<|end_of_thought|>", math.hypot(1, 2))\n```'), 'the fence and its quoted marker');
  assert.ok(md.includes('**Step 5**\n\n```python'), 'a fenced step gets its label on a line of its own');
  assert.ok(md.includes('**Reflection 4 (backtrack)** **Hmm**, the figure'), 'inline text follows its label');
  assert.ok(md.includes('$\\sqrt{5} \\approx 2.236$'));
});

test('the image: a relative link to the original file when known, else its name and size', () => {
  const linked = sessionToMarkdown(session(sample, { imagePath: '/work/figs/right triangle.png' }), { exportPath: '/work/notes/history/session.md' });
  assert.match(linked, /^!\[right-triangle\.png\]\(<\.\.\/\.\.\/figs\/right triangle\.png>\)$/m);
  assert.match(linked, /^\*right-triangle\.png\* · 640×480 px, sent as 644×476 \(391 visual tokens, 18\.8 KiB\)$/m);
  const beside = sessionToMarkdown(session(sample, { imagePath: '/work/figs/t.png' }), { exportPath: '/work/figs/t.md' });
  assert.match(beside, /^!\[right-triangle\.png\]\(<t\.png>\)$/m);
  const noExport = imageReference(session(sample, { imagePath: '/work/figs/t.png' }).summary.image);
  assert.match(noExport, /^!\[right-triangle\.png\]\(file:\/\/\/work\/figs\/t\.png\)/);
  const pasted = sessionToMarkdown(session(sample), { exportPath: '/work/s.md' });
  assert.match(pasted, /^Image: \*\*right-triangle\.png\*\* · 640×480 px, sent as 644×476 \(391 visual tokens, 18\.8 KiB\)$/m);
  assert.doesNotMatch(pasted, /!\[/, 'no link to a file that never existed');
});

test('the footer: model, backend, tokens, reflections, end and date; an unfinished session says so', () => {
  const s = session(sample);
  const md = sessionToMarkdown(s);
  const [, footer] = md.split('\n---\n');
  assert.match(footer, /^- \*\*Model:\*\* `virgo-72b` on lab-a100$/m);
  assert.match(footer, new RegExp(`^- \\*\\*Tokens:\\*\\* ${s.summary.thoughtTokens} in the thought, ${s.summary.chunks} in all \\(stream chunks\\)`, 'm'));
  const r = s.summary.reflections;
  assert.match(footer, new RegExp(`^- \\*\\*Reflections:\\*\\* ${r.verify + r.backtrack + r.alternative} \\(${r.verify} verify · ${r.backtrack} backtrack · ${r.alternative} alternative\\) in ${s.segments.length} segments$`, 'm'));
  assert.match(footer, /^- \*\*Ended:\*\* finished \(stop\) after \d+\.\d s$/m);
  assert.match(footer, /^- \*\*Date:\*\* 2026-11-26T09:30:00\.000Z$/m);
  assert.doesNotMatch(md, /did not finish/);

  const cut: Recording = { ...sample, events: sample.events.slice(0, 200) };
  const partial = sessionToMarkdown(session(cut, { endReason: 'length' }));
  assert.match(partial, /^\*The session did not finish: it was stopped at the max-tokens budget\.\*$/m);
  assert.match(partial, /^- \*\*Ended:\*\* stopped at the max-tokens budget \(length\)/m);
  assert.doesNotMatch(partial, /\*\*Answer:\*\*/);
});

test('a question with line breaks stays on the title line; its math is not escaped', () => {
  const md = sessionToMarkdown(session({ ...sample, question: 'Given $x_1$ and *y*,\nwhat is $x_1 + y$?' }));
  assert.match(md, /^# Virgo: Given \$x_1\$ and \*y\*, what is \$x_1 \+ y\$\?\n/);
});
