import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyReflection, REFLECTION_PHRASES } from '../../server/thought/reflectionPhrases';
import { extractBoxed } from '../../server/thought/boxed';

const cases: Array<[string, string | null]> = [
  ['Wait, let me double-check the angle.', 'backtrack'],
  ['But wait, the side is 3.', 'backtrack'],
  ['Hmm, that does not fit.', 'backtrack'],
  ['Hmmm... no.', 'backtrack'],
  ['Actually the triangle is isosceles.', 'backtrack'],
  ['Hold on: the scale differs.', 'backtrack'],
  ['On second thought, use the sine rule.', 'backtrack'],
  ['But let me reconsider the premise.', 'backtrack'],
  ['Oh, I misread the label.', 'backtrack'],
  ['No, that is the radius.', 'backtrack'],
  ['**Wait**, the axis is logarithmic.', 'backtrack'],
  ['> Wait, quoted.', 'backtrack'],
  ['Let me double-check the sum.', 'verify'],
  ['Let me check: 3 + 4 = 7.', 'verify'],
  ['Let me verify with coordinates.', 'verify'],
  ['Let me recheck the figure.', 'verify'],
  ['Let me re-examine the diagram.', 'verify'],
  ['I should re-evaluate the second case.', 'verify'],
  ['We need to check again whether x > 0.', 'verify'],
  ['To confirm, substitute back.', 'verify'],
  ["Let's double-check the units.", 'verify'],
  ['Alternatively, use vectors.', 'alternative'],
  ['Another way is to use areas.', 'alternative'],
  ['Instead, compute the angle directly.', 'alternative'],
  ['Maybe I should draw the altitude.', 'alternative'],
  ['Perhaps the figure is not to scale.', 'alternative'],
  ['Let me try the law of cosines.', 'alternative'],
  ['Let me try another approach.', 'alternative'],
  ['The figure shows a circle.', null],
  ['Waiting for nothing is not a reflection.', null],
  ['Now, the area is 6.', null],
  ['Let me think about the figure.', null],
  ['Actuallyness is not a word.', null],
  ['Nothing here.', null],
  ['', null],
];

test('reflection types come from the opening phrase', () => {
  for (const [text, type] of cases) assert.equal(classifyReflection(text), type, text);
});

test('the phrase table is data: a new row teaches a new phrase', () => {
  assert.equal(classifyReflection('Sanity check: 2 + 2 = 4.'), null);
  const extended = [...REFLECTION_PHRASES, ['Sanity check', 'verify'] as const];
  assert.equal(classifyReflection('Sanity check: 2 + 2 = 4.', extended), 'verify');
});

test('boxed contents: nesting, escaped braces, several boxes, unclosed box', () => {
  assert.deepEqual(extractBoxed('x = \\boxed{\\frac{\\sqrt{5}}{2}}'), ['\\frac{\\sqrt{5}}{2}']);
  assert.deepEqual(extractBoxed('\\boxed{A} and \\boxed { 3 }'), ['A', '3']);
  assert.deepEqual(extractBoxed('\\boxed{\\{1, 2\\}}'), ['\\{1, 2\\}']);
  assert.deepEqual(extractBoxed('\\boxed{\\text{C}} then \\boxed{unclosed'), ['\\text{C}']);
  assert.deepEqual(extractBoxed('no box here'), []);
});
