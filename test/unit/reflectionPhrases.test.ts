import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyHead, classifyReflection, REFLECTION_LEAD_INS, REFLECTION_PHRASES } from '../../server/thought/reflectionPhrases';
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
  ['Let me just re-examine the figure.', 'verify'],
  ['Let me quickly check again.', 'verify'],
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

/** classifyReflection as it was first written (one regex pass over 120 characters): the reference. */
function referenceClassify(paragraph: string, table: typeof REFLECTION_PHRASES = REFLECTION_PHRASES): string | null {
  const normalize = (s: string) => s.toLowerCase().replace(/[’]/g, "'").replace(/\s+/g, ' ');
  const list = table.map(([phrase, type]) => ({ words: normalize(phrase), type })).sort((a, b) => b.words.length - a.words.length);
  const matchAt = (head: string) => {
    for (const p of list) {
      if (!head.startsWith(p.words)) continue;
      const next = head.charAt(p.words.length);
      if (/[\p{L}\p{N}'’-]/u.test(p.words[p.words.length - 1]) && next !== '' && /[\p{L}\p{N}'’-]/u.test(next)) continue;
      return p.type;
    }
    return null;
  };
  const head = normalize(paragraph.slice(0, 120).replace(/^(?:\s|[*_#>]|[-+](?=\s)|\d+[.)](?=\s))+/, ''));
  const direct = matchAt(head);
  if (direct) return direct;
  for (const lead of REFLECTION_LEAD_INS) {
    if (head.startsWith(lead + ' ')) {
      const type = matchAt(head.slice(lead.length + 1).replace(/^(?:just |quickly |now )/, ''));
      if (type) return type;
    }
  }
  return null;
}

/** Paragraph openings built from phrases, lead-ins, decoration, odd white space and odd letters. */
function openings(count: number): string[] {
  const parts = [
    'Wait', 'wait', 'But wait', 'Hmm', 'Hmmmm', 'Let me', 'let me', "Let's", 'Let us', 'I should', 'We need to', "I'll",
    'just', 'quickly', 'now', 'check', 'double-check', 'double check', 're-examine', 'recheck', 'try', 'again', 'another',
    'Alternatively', 'Actually', 'Oh,', 'No,', 'Perhaps', 'To confirm', 'Instead', 'The', 'So', 'the figure', 'x',
    ' ', ' ', '  ', '\t', '\n', '\u00a0', ',', '.', ':', '-', '’', "'", '**', '*', '_', '#', '> ', '- ', '+ ', '1. ', '12) ', '3.',
    'İ', 'Σ', 'ΣΑ', '😀', 'é', '\u2028', 'Waiting', 'Nothing', 'Actuallyness', 'a'.repeat(40), ' b'.repeat(30),
    'Let me just ', 'I should quickly ', 'let me now ', 'We need to just ', 're-examine the', 'check again ', 'Let me re-evaluate ',
  ];
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const n = 1 + rand(8);
    for (let k = 0; k < n; k++) s += parts[rand(parts.length)] + (rand(3) === 0 ? ' ' : '');
    out.push(s);
  }
  return out;
}

/** Openings at the edges of the fast paths: odd second letters, surrogate pairs, sigma, decoration. */
const odd = [
  'xİ wait', 'WAIT, no', 'HMM.', 'Wait 😀 x', '😀 Wait', 'x😀', 'Wait\uD83D', '\uD83D\uDE00Hmm', '\uDE00 Hmm', 'ΣΑ wait', 'Wait Σ',
  '1.', '1. Wait', '12) Hmm', '3.5 Wait', '- Wait', '-Wait', '+ Hmm', '+', '>', '> > Hmm', '# Wait', '__Hmm__', '\t\n Wait',
  'Let me\tjust  check again', 'I\u00a0should re-examine', 'Hold\u2028on', 'Oh,', 'Oh', 'No,no', 'Let’s check', 'let’s   try',
  'Let me just\tcheck again', 'Let me quic\u212Aly check again', 'Let me now  check again', 'Let me JUST Check Again', 'Let me  check',
  'let me just', 'let me just ', 'Wait’s', "WAIT's", 'Wait-and-see', 'Wait\u00a0', 'Check\tagain', 'I’ll re-examine', "I'LL RECHECK",
];

test('classifyReflection gives what the first, plain implementation gave', () => {
  const extended = [...REFLECTION_PHRASES, ['Sanity check', 'verify'] as const, ['ΣΑ', 'verify'] as const];
  const texts = [...cases.map(([t]) => t), ...odd, ...openings(3000)];
  for (const text of texts) {
    // Every prefix too, and the text pushed across the 120-character horizon.
    for (const t of [text, ' '.repeat(100) + text, 'x'.repeat(110) + text, ...Array.from({ length: text.length }, (_, k) => text.slice(0, k))]) {
      assert.equal(classifyReflection(t), referenceClassify(t), JSON.stringify(t));
      assert.equal(classifyReflection(t, extended), referenceClassify(t, extended), JSON.stringify(t));
    }
  }
});

test('a head that classifyHead calls decided keeps its type whatever follows', () => {
  const texts = [...cases.map(([t]) => t + ' and more text after it'), ...odd, ...openings(3000)];
  let decidedEarly = 0;
  for (const text of texts) {
    const full = referenceClassify(text);
    for (let k = 0; k <= Math.min(text.length, 121); k++) {
      const head = text.slice(0, k);
      const r = classifyHead(head);
      assert.equal(r.type, referenceClassify(head), JSON.stringify(head));
      if (r.decided) {
        assert.equal(full, r.type, `${JSON.stringify(head)} decided, but ${JSON.stringify(text)} differs`);
        if (k < text.length) decidedEarly++;
      }
    }
    if (text.length >= 120) assert.ok(classifyHead(text.slice(0, 120)).decided, '120 characters always decide');
  }
  assert.ok(decidedEarly > 5000, 'heads are decided long before 120 characters');
  // What a live view asking after every token relies on: the type is known a few letters in.
  for (const head of ['Th', 'So', 'The f', 'Wait,', 'Hmm,', 'Let me double-check ', 'Alternatively,', 'Let me think']) {
    assert.ok(classifyHead(head).decided, head);
  }
  for (const head of ['T', 'Wait', 'But', 'Let me t', 'Let me just', '1.', '**']) assert.ok(!classifyHead(head).decided, head);
});
