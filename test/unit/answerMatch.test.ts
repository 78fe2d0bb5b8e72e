import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answersMatch, choiceLetter, finalAnswer, isCorrect } from '../../server/eval/answerMatch';
import { canonicalAnswer } from '../../server/eval/latexNormalize';
import { numericValue } from '../../server/eval/numericValue';

/** [model's answer, gold answer]: the same value written two ways. */
const MATCHING: Array<[string, string]> = [
  ['\\dfrac{1}{2}', '\\frac{1}{2}'],
  ['\\tfrac{3}{4}', '0.75'],
  ['\\frac{1}{2}', '0.5'],
  ['\\frac12', '1/2'],
  ['\\left(\\frac{1}{2}\\right)', '0.5'],
  ['-\\frac{1}{2}', '-0.5'],
  ['\\(\\frac{1}{4}\\)', '0.25'],
  ['$5$', '5'],
  ['$$ 5 $$', '5'],
  ['5.', '5'],
  ['1.0', '1'],
  ['\\boxed{7}', '7'],
  ['12\\text{ cm}', '12'],
  ['12 cm', '12'],
  ['12cm', '12'],
  ['12\\,\\text{cm}^2', '12'],
  ['6 square units', '6'],
  ['5\\sqrt{2}\\text{ units}', '5\\sqrt2'],
  ['30^\\circ', '30'],
  ['30^{\\circ}', '30°'],
  ['30 degrees', '30'],
  ['\\angle ABC = 60^\\circ', '60'],
  ['x = 5', '5'],
  ['AB=2\\sqrt{5}', '2\\sqrt{5}'],
  ['1,000', '1000'],
  ['1\\,000', '1000'],
  ['\\$12', '12'],
  ['50\\%', '0.5'],
  ['50%', '50'],
  ['25\\%', '\\frac{1}{4}'],
  ['0.333333', '\\frac{1}{3}'],
  ['\\sqrt{2}', '1.41421'],
  ['2\\sqrt{3}', '\\sqrt{12}'],
  ['2\\sqrt{3}', '3.46'],
  ['3\\pi', '9.42'],
  ['\\frac{\\pi}{2}', '\\pi/2'],
  ['\\dfrac{\\sqrt{3}}{2}', '\\frac{\\sqrt3}{2}'],
  ['2^{10}', '1024'],
  ['\\sqrt[3]{27}', '3'],
  ['1\\frac{1}{2}', '1.5'],
  ['(B)', 'B'],
  ['B.', 'B'],
  ['B: 12', 'B'],
  ['(B) 12', 'B'],
  ['Option B', 'B'],
  ['option (b)', 'B'],
  ['\\text{(C)}', 'C'],
  ['B', '(B)'],
  ['(1, 2)', '(1,2)'],
  ['\\left( \\frac{1}{2}, 3 \\right)', '(0.5, 3)'],
  ['[0, \\frac{1}{2})', '[0,0.5)'],
  ['\\{2, 1\\}', '\\{1, 2\\}'],
  ['3, 5', '3,5'],
  ['Yes', 'yes'],
  ['x^{2}+1', 'x^2 + 1'],
  ['\\left\\{ 1, 2 \\right\\}', '\\{1,2\\}'],
  ['−3', '-3'],
  ['\\displaystyle\\frac{3}{2}', '1.5'],
];

/** [model's answer, gold answer]: different answers, however close they look. */
const NOT_MATCHING: Array<[string, string]> = [
  ['(2, 1)', '(1, 2)'],
  ['[1, 2]', '(1, 2)'],
  ['1, 2', '1, 2, 3'],
  ['\\{1, 2\\}', '\\{1, 3\\}'],
  ['\\frac{1}{3}', '0.3'],
  ['2\\sqrt{3}', '3.5'],
  ['0.5001', '0.5'],
  ['3.14', '3.1416'],
  ['12', '13'],
  ['-5', '5'],
  ['1000', '100'],
  ['\\sqrt{3}', '3'],
  ['(B)', 'C'],
  ['Option A', 'B'],
  ['12', 'B'],
  ['x+1', 'x-1'],
  ['2m', '2'],
  ['\\frac{1}{2} h', '\\frac{1}{2}'],
  ['No', 'Yes'],
  ['', '5'],
  ['5', ''],
  ['50\\%', '5'],
];

for (const [predicted, gold] of MATCHING) {
  test(`matches: ${JSON.stringify(predicted)} ≡ ${JSON.stringify(gold)}`, () => {
    assert.equal(answersMatch(predicted, gold), true, `${canonicalAnswer(predicted)} vs ${canonicalAnswer(gold)}`);
    assert.equal(answersMatch(gold, predicted), true, 'symmetric');
  });
}

for (const [predicted, gold] of NOT_MATCHING) {
  test(`differs: ${JSON.stringify(predicted)} ≢ ${JSON.stringify(gold)}`, () => {
    assert.equal(answersMatch(predicted, gold), false, `${canonicalAnswer(predicted)} vs ${canonicalAnswer(gold)}`);
  });
}

test('the table has at least 40 pairs, both kinds', () => {
  assert.ok(MATCHING.length + NOT_MATCHING.length >= 40);
  assert.ok(NOT_MATCHING.length >= 15);
});

test('canonical text: no spaces, one fraction command, no units, degrees or delimiters', () => {
  assert.equal(canonicalAnswer('  $\\dfrac{1}{2}$ . '), '\\frac{1}{2}');
  assert.equal(canonicalAnswer('\\left[ 1 , 2 \\right)'), '[1,2)');
  assert.equal(canonicalAnswer('12\\text{ cm}^{2}'), '12');
  assert.equal(canonicalAnswer('\\text{Option } \\mathrm{B}'), 'OptionB');
  assert.equal(canonicalAnswer('x^{2}'), 'x^2');
  assert.equal(canonicalAnswer('\\sqrt3'), '\\sqrt{3}');
});

test('numeric values: literals keep their decimal places, expressions are exact', () => {
  assert.deepEqual(numericValue('3.46'), { value: 3.46, percent: false, decimals: 2, exact: false });
  assert.deepEqual(numericValue('50%'), { value: 50, percent: true, decimals: 0, exact: false });
  assert.equal(numericValue('\\frac{1}{2}')?.exact, true);
  assert.equal(numericValue('2(3+1)')?.value, 8);
  assert.equal(numericValue('x+1'), undefined);
  assert.equal(numericValue('\\pitchfork'), undefined);
  assert.equal(numericValue('(1,2)'), undefined);
});

test('choice letters', () => {
  assert.equal(choiceLetter('(B)'), 'B');
  assert.equal(choiceLetter('B:12'), 'B');
  assert.equal(choiceLetter('Answer:C'), 'C');
  assert.equal(choiceLetter('12'), undefined);
  assert.equal(choiceLetter('(1,2)'), undefined);
});

test('finalAnswer and isCorrect: one box, several boxes, none', () => {
  assert.equal(finalAnswer([]), null);
  assert.equal(finalAnswer(['4', '4.0']), '4');
  assert.equal(finalAnswer(['3', '5']), '3, 5');
  assert.equal(isCorrect(['3', '5'], '3, 5'), true, 'a multi-part answer, in order');
  assert.equal(isCorrect(['x = 2', '5'], '5'), true, 'the last box decides when the parts do not');
  assert.equal(isCorrect(['5', '2'], '5'), false);
  assert.equal(isCorrect([], '5'), false);
  assert.equal(answersMatch('0.5004', '0.5', { relTol: 1e-3 }), true, 'the tolerance is an option');
});
