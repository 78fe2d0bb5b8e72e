import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Segment } from '../../protocol/thought';
import { ThoughtParser } from '../../server/thought/thoughtParser';

// The live view asks for the open segment after some chunks and not others; what it is told, and
// what closes, must not depend on when it asked.

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'transcripts');
const triangle = readFileSync(join(fixtures, 'triangle.txt'), 'utf8');

/** Token-sized pieces, as a model streams them (the benchmarks cut their thought the same way). */
const tokenize = (s: string): string[] => s.match(/ ?[A-Za-z]+| ?\d| ?[^\sA-Za-z\d]|\n+| +|\s/g) ?? [];

/** Open segments long enough that the text before the unfinished line is long too. */
const long = [
  '<|begin_of_thought|>\n\n',
  'Wait, ' + 'the side is one and the other side is two, '.repeat(40) + 'so the sum is three.\n',
  'The next line of the same step goes on, as lines do.\n'.repeat(30),
  '\n```python\n' + 'print(1 + 2)  # a line of code <not a marker>\n'.repeat(40) + '```\n\n',
  '$$\n' + 'a^2 + b^2 = c^2 \\\\\n'.repeat(30) + '$$\n\n',
  'Let me double-check: `x` < 3 and <think> is quoted in `<think>` here.\n\n',
  // Latin-1 and wider characters (an emoji arrives as two halves), at a line's start and inside it.
  'Café: the angle is 30°, ½ of 60° — so √3/2 ≈ 0.866 (Σ, π, 😀, ÿ, Ā).\nÉtape two, ÿ.\n\n√2 first, then é.\n\n',
  'The letter Ā alone, then ÿ.\nĀ starts this line.\n\n',
  '   \n\t\nHmm, ' + 'long line '.repeat(150) + '<|end_of_th' + 'ought|>\n<|begin_of_solution|>\nSo \\boxed{3}.\n',
].join('');

type Shape = Pick<Segment, 'index' | 'phase' | 'kind' | 'reflection' | 'text' | 'tokens' | 'ms'>;
const shape = (s: Segment[]): Shape[] => s.map(({ index, phase, kind, reflection, text, tokens, ms }) => ({ index, phase, kind, reflection, text, tokens, ms }));

function run(pieces: string[], askEvery: number, check: (p: ThoughtParser, i: number) => void): Segment[] {
  const p = new ThoughtParser();
  const out: Segment[] = [];
  pieces.forEach((piece, i) => {
    out.push(...p.push({ content: piece }, i));
    if (askEvery > 0 && i % askEvery === askEvery - 1) check(p, i);
  });
  out.push(...p.finish(pieces.length).segments);
  return out;
}

for (const [name, text] of [['triangle', triangle], ['long', long]] as const) {
  test(`${name}: the open segment equals the slow rebuild whenever it is asked for, token by token`, () => {
    const pieces = tokenize(text);
    assert.equal(pieces.join(''), text);
    const unasked = shape(run(pieces, 0, () => {}));
    for (const every of [1, 2, 3, 7]) {
      const asked = run(pieces, every, (p, i) => {
        const open = p.openSegment();
        assert.deepEqual(open, p.openSegmentFromScratch(), `${name}, every ${every}, after ${JSON.stringify(pieces.slice(Math.max(0, i - 4), i + 1))}`);
        assert.equal(p.openSegment(), open);
      });
      assert.deepEqual(shape(asked), unasked, `${name}: asking every ${every} chunks changes nothing that closes`);
    }
  });
}

test('the open segment follows a stream cut at every position into two chunks', () => {
  const text = long.slice(0, 2400);
  for (let cut = 0; cut <= text.length; cut += 7) {
    const p = new ThoughtParser();
    p.push({ content: text.slice(0, cut) }, 0);
    p.openSegment();
    p.push({ content: text.slice(cut) }, 1);
    assert.deepEqual(p.openSegment(), p.openSegmentFromScratch(), `cut at ${cut}`);
  }
});
