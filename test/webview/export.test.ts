// "Copy thought as Markdown" and "Copy answer".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thoughtToMarkdown } from '../../protocol/thoughtMarkdown';
import { answerToText } from '../../webview/model/thoughtExport';
import { parseTranscript, sampleTranscript, triangleTranscript } from './fixtures';

test('the thought as Markdown: numbered steps, labelled reflections, solution, answer', () => {
  const run = parseTranscript(sampleTranscript);
  const md = thoughtToMarkdown(run.segments, run.answer);
  assert.ok(md.startsWith('## Thought\n\n**Step 1** The image shows a right triangle'));
  assert.match(md, /\n\n\*\*Step 4\*\* So \$AB = \\sqrt\{5\}\$\.\n\n\*\*Reflection 1 \(backtrack\)\*\* Wait, I should/);
  assert.match(md, /\*\*Reflection 2 \(backtrack\)\*\* Hmm,/);
  assert.match(md, /\*\*Reflection 4 \(verify\)\*\* Let me double-check/);
  assert.match(md, /\*\*Reflection 5 \(alternative\)\*\* Alternatively/);
  // A segment that starts with a block keeps the block on its own lines.
  assert.match(md, /\*\*Step 6\*\*\n\n```python\nimport math/);
  assert.match(md, /\n\n## Solution\n\nThe square at \$C\$/);
  assert.ok(md.endsWith('\n\n**Answer:** $\\sqrt{5}$\n'));
  assert.equal((md.match(/^## /gm) ?? []).length, 2);
});

test('without an answer (stopped early) there is only the thought', () => {
  const run = parseTranscript(triangleTranscript);
  const md = thoughtToMarkdown(run.segments.slice(0, 4), null);
  assert.ok(md.startsWith('## Thought\n\n**Step 1** The figure shows'));
  assert.match(md, /\*\*Reflection 1 \(backtrack\)\*\* Wait,/);
  assert.doesNotMatch(md, /## Solution|\*\*Answer:\*\*/);
});

test('copy answer: the boxed TeX, else the solution text', () => {
  assert.equal(answerToText({ text: 'so $\\boxed{5}$ and $\\boxed{7}$', boxed: ['5', ' 7 '] }), '5\n7');
  assert.equal(answerToText({ text: ' The answer is five. ', boxed: [] }), 'The answer is five.');
});
