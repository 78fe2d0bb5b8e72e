import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Phase, Segment } from '../../protocol/thought';
import { findDivergence, groupAnswers, stepKey } from '../../server/eval/sampleAgreement';

function seg(text: string, index = 0, phase: Phase = 'thought'): Segment {
  return { index, phase, kind: 'step', reflection: null, text, tokens: 1, ms: 0 };
}
const trace = (...texts: string[]) => texts.map((t, i) => seg(t, i));

test('answers group by equivalence: LaTeX forms and number formats agree', () => {
  const a = groupAnswers([['\\frac12'], ['0.5'], ['1/2'], ['1'], [], ['1.0']]);
  assert.deepEqual(a.groups.map((g) => [g.answer, g.traces]), [['\\frac12', [0, 1, 2]], ['1', [3, 5]]]);
  assert.equal(a.majority?.answer, '\\frac12');
  assert.equal(a.share, 0.5, 'the share counts unanswered traces too');
  assert.equal(a.groups[1].share, 2 / 6);
  assert.equal(a.tie, false);
  assert.deepEqual(a.unanswered, [4]);
});

test('choice letters and units group too; a tie is reported', () => {
  const a = groupAnswers([['(B)'], ['C'], ['Option B'], ['C.']]);
  assert.deepEqual(a.groups.map((g) => g.traces), [[0, 2], [1, 3]]);
  assert.equal(a.tie, true);
  assert.equal(a.majority?.answer, '(B)', 'on a tie the first answer seen leads');
  const units = groupAnswers([['12\\text{ cm}'], ['12'], ['13']]);
  assert.deepEqual(units.majority?.traces, [0, 1]);
});

test('several boxes make one multi-part answer; no traces, no majority', () => {
  const a = groupAnswers([['3', '5'], ['3, 5'], ['5', '3']]);
  assert.deepEqual(a.groups.map((g) => g.traces), [[0, 1], [2]]);
  const none = groupAnswers([]);
  assert.equal(none.majority, null);
  assert.equal(none.share, 0);
  const unanswered = groupAnswers([[], []]);
  assert.equal(unanswered.majority, null);
  assert.deepEqual(unanswered.unanswered, [0, 1]);
});

test('divergence: the first step not all traces share, and each trace\'s own first step', () => {
  const a = trace('Let the side be 0.50 m.', 'Then  the area is 1,000.', 'So x = 3.');
  const b = trace('let the side be 0.5 m.', 'Then the area is 1000.', 'So x = 4.', 'Check.');
  const c = trace('Let the side be 0.5 m.', 'Instead, use angles.');
  const d = findDivergence([a, b, c]);
  assert.equal(d.commonPrefix, 1);
  assert.equal(d.diverged, true);
  assert.deepEqual(d.perTrace, [2, 2, 1]);
  assert.deepEqual(d.pairwise, [[3, 2, 1], [2, 4, 1], [1, 1, 2]]);
});

test('divergence: identical traces never diverge; a trace that stops early is carried by a longer one', () => {
  const same = findDivergence([trace('A.', 'B.'), trace('A.', 'B.')]);
  assert.deepEqual([same.commonPrefix, same.diverged, same.perTrace], [2, false, [null, null]]);
  const longer = findDivergence([trace('A.', 'B.'), trace('A.', 'B.', 'C.')]);
  assert.deepEqual([longer.commonPrefix, longer.diverged, longer.perTrace], [2, true, [null, 2]]);
  const single = findDivergence([trace('A.')]);
  assert.deepEqual([single.commonPrefix, single.diverged, single.perTrace], [1, false, [null]]);
  assert.deepEqual(findDivergence([]), { commonPrefix: 0, diverged: false, perTrace: [], pairwise: [] });
});

test('divergence: the same text in another phase is another step; a custom comparison can loosen it', () => {
  const a = [seg('The answer is 4.', 0, 'thought')];
  const b = [seg('The answer is 4.', 0, 'solution')];
  assert.equal(findDivergence([a, b]).commonPrefix, 0);
  const loose = findDivergence([trace('The area is 12.'), trace('So the area is 12.')], {
    same: (x, y) => x.text.replace(/^So /, '').toLowerCase() === y.text.replace(/^So /, '').toLowerCase(),
  });
  assert.equal(loose.commonPrefix, 1);
});

test('stepKey ignores case, spacing and number formatting, not the numbers themselves', () => {
  assert.equal(stepKey('The area  is 1,000.50 cm ( roughly ) .'), stepKey('the area is 1000.5 cm (roughly).'));
  assert.equal(stepKey('$x = 2.0$'), stepKey('\\(x=2\\)'));
  assert.notEqual(stepKey('x = 2'), stepKey('x = 3'));
  assert.notEqual(stepKey('x = 1.05'), stepKey('x = 1.5'));
});
