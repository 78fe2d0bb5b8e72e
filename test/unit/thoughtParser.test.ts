import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Segment } from '../../protocol/thought';
import { PartialLine } from '../../server/thought/partialLine';
import { visibleText } from '../../server/thought/phaseMarkers';
import { ThoughtParser, type StreamPiece } from '../../server/thought/thoughtParser';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'transcripts');
const triangle = readFileSync(join(fixtures, 'triangle.txt'), 'utf8');

function parseInChunks(text: string, size: number, field: keyof StreamPiece = 'content') {
  const p = new ThoughtParser();
  const live: Segment[] = [];
  let t = 0;
  for (let i = 0; i < text.length; i += size) live.push(...p.push({ [field]: text.slice(i, i + size) }, t++));
  const end = p.finish(t);
  return { segments: [...live, ...end.segments], answer: end.answer, parser: p };
}

/** What must not depend on chunking: everything but tokens and ms. */
function shape(segments: Segment[]) {
  return segments.map(({ index, phase, kind, reflection, text }) => ({ index, phase, kind, reflection, text }));
}

test('a Virgo transcript splits into steps, reflections and a solution', () => {
  const { segments, answer } = parseInChunks(triangle, 7);
  const summary = segments.map((s) => `${s.phase}:${s.kind}:${s.reflection ?? '-'}`);
  assert.deepEqual(summary, [
    'thought:step:-', // The figure shows…
    'thought:step:-', // By the Pythagorean theorem… + both display-math paragraphs
    'thought:step:-', // So AB = √5
    'thought:reflection:backtrack', // Wait, …
    'thought:reflection:verify', // Let me double-check…
    'thought:reflection:alternative', // Alternatively, … with \[…\]
    'thought:step:-', // A quick script agrees:
    'thought:step:-', // the fenced code, with the quoted marker inside
    'thought:reflection:backtrack', // **Hmm**, …
    'solution:step:-',
    'solution:step:-',
  ]);
  assert.match(segments[1].text, /^By the Pythagorean theorem/);
  assert.match(segments[1].text, /AB\^2 = 1 \+ 4 = 5\$\$$/, 'math-only paragraphs join the step before them');
  assert.match(segments[5].text, /\\\]$/);
  assert.match(segments[7].text, /^```python[\s\S]*<\|end_of_thought\|>[\s\S]*```$/, 'a marker in fenced code stays text');
  assert.ok(segments.every((s) => !/<\|(begin|end)_of_(thought|solution)\|>/.test(s.text) || s.index === 7));
  assert.deepEqual(answer.boxed, ['\\sqrt{5}']);
  assert.match(answer.text, /^The legs are/);
  assert.ok(segments.every((s, i) => s.index === i));
});

test('every chunk size from 1 character up gives identical segments', () => {
  const reference = shape(parseInChunks(triangle, triangle.length).segments);
  for (let size = 1; size <= triangle.length; size++) {
    const { segments, answer } = parseInChunks(triangle, size);
    assert.deepEqual(shape(segments), reference, `chunk size ${size}`);
    assert.deepEqual(answer.boxed, ['\\sqrt{5}'], `chunk size ${size}`);
  }
});

test('random chunk boundaries give identical segments, and tokens add up to the chunks', () => {
  const reference = shape(parseInChunks(triangle, 5).segments);
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let run = 0; run < 200; run++) {
    const p = new ThoughtParser();
    const out: Segment[] = [];
    let i = 0;
    let chunks = 0;
    while (i < triangle.length) {
      const n = 1 + Math.floor(rand() * 12);
      out.push(...p.push({ content: triangle.slice(i, i + n) }, i));
      i += n;
      chunks++;
    }
    out.push(...p.finish(i).segments);
    assert.deepEqual(shape(out), reference, `run ${run}`);
    assert.equal(out.reduce((a, s) => a + s.tokens, 0), chunks, 'every chunk is counted once');
    assert.equal(p.chunks, chunks);
  }
});

test('segment time is the time between the chunks that close consecutive segments', () => {
  const p = new ThoughtParser();
  p.push({ content: 'First step.\n\n' }, 1000);
  const first = p.push({ content: 'Second ' }, 1100);
  assert.deepEqual(first.map((s) => s.text), ['First step.']);
  p.push({ content: 'step.\n\n' }, 1500);
  const second = p.push({ content: 'Third' }, 1700);
  assert.equal(second.length, 1);
  assert.equal(second[0].text, 'Second step.');
  assert.equal(second[0].tokens, 2);
  assert.equal(second[0].ms, 500);
  const { segments } = p.finish(2000);
  assert.deepEqual(segments.map((s) => [s.text, s.tokens]), [['Third', 1]]);
});

test('markers split across chunks switch phase exactly once', () => {
  const text = 'thinking\n<|end_of_th' + 'ought|>\n<|begin_of_sol' + 'ution|>\nSo \\boxed{42}.';
  for (let size = 1; size <= text.length; size++) {
    const { segments, answer } = parseInChunks(text, size);
    assert.deepEqual(shape(segments).map((s) => [s.phase, s.text]), [['thought', 'thinking'], ['solution', 'So \\boxed{42}.']]);
    assert.deepEqual(answer.boxed, ['42']);
  }
});

test('<think> tags mark the thought of R1-style models', () => {
  const { segments, answer } = parseInChunks('<think>\nStep one.\n\nActually, no.\n</think>\n\nThe answer is \\boxed{7}.', 3);
  assert.deepEqual(segments.map((s) => [s.phase, s.kind, s.reflection]), [
    ['thought', 'step', null],
    ['thought', 'reflection', 'backtrack'],
    ['solution', 'step', null],
  ]);
  assert.deepEqual(answer.boxed, ['7']);
});

test('reasoning fields carry the thought and content the solution', () => {
  for (const field of ['reasoning'] as const) {
    const p = new ThoughtParser();
    const thought = 'Look at the figure.\n\nWait, the angle is 30°.';
    const segs: Segment[] = [];
    for (let i = 0; i < thought.length; i += 4) segs.push(...p.push({ [field]: thought.slice(i, i + 4) }, i));
    segs.push(...p.push({ content: 'The angle is ' }, 100));
    segs.push(...p.push({ content: '$\\boxed{30^\\circ}$' }, 101));
    const end = p.finish(102);
    segs.push(...end.segments);
    assert.deepEqual(segs.map((s) => [s.phase, s.kind, s.text]), [
      ['thought', 'step', 'Look at the figure.'],
      ['thought', 'reflection', 'Wait, the angle is 30°.'],
      ['solution', 'step', 'The angle is $\\boxed{30^\\circ}$'],
    ]);
    assert.deepEqual(end.answer.boxed, ['30^\\circ']);
    assert.equal(p.hadMarkers, true);
  }
});

test('without markers the whole text is thought and the last box is the answer', () => {
  const { segments, answer, parser } = parseInChunks('First try: \\boxed{3}.\n\nHmm, that is wrong.\n\nSo the answer is \\boxed{4}.', 5);
  assert.ok(segments.every((s) => s.phase === 'thought'));
  assert.deepEqual(answer.boxed, ['4']);
  assert.equal(answer.text, 'So the answer is \\boxed{4}.');
  assert.equal(parser.hadMarkers, false);
});

test('a solution without a box falls back to the thought\'s last box', () => {
  const { answer } = parseInChunks('<|begin_of_thought|>\nSo \\boxed{12}.\n<|end_of_thought|>\n<|begin_of_solution|>\nTwelve.\n<|end_of_solution|>', 4);
  assert.deepEqual(answer.boxed, ['12']);
  assert.equal(answer.text, 'Twelve.');
});

test('a fenced code block with blank lines is one segment', () => {
  const text = 'Code:\n\n```js\nconst a = 1;\n\n\nconst b = 2;\n```\n\nDone.';
  const { segments } = parseInChunks(text, 2);
  assert.deepEqual(segments.map((s) => s.text), ['Code:', '```js\nconst a = 1;\n\n\nconst b = 2;\n```', 'Done.']);
});

test('display math with blank lines inside is not split', () => {
  const text = 'We get\n$$\na = 1\n\nb = 2\n$$\n\nNext.';
  const { segments } = parseInChunks(text, 3);
  assert.deepEqual(segments.map((s) => s.text), ['We get\n$$\na = 1\n\nb = 2\n$$', 'Next.']);
});

test('a math-only paragraph at the start of a phase is its own segment', () => {
  const { segments } = parseInChunks('$$x = 1$$\n\nThen x is one.', 4);
  assert.deepEqual(segments.map((s) => s.text), ['$$x = 1$$', 'Then x is one.']);
});

test('a paragraph that starts with math but has prose after it is a new step', () => {
  const { segments } = parseInChunks('Setup.\n\n$$x = 1$$ is what we need, since the angle is right.\n\nEnd.', 4);
  assert.deepEqual(segments.map((s) => s.text), ['Setup.', '$$x = 1$$ is what we need, since the angle is right.', 'End.']);
});

test('the open segment shows the unfinished line but hides a marker still arriving', () => {
  const p = new ThoughtParser();
  p.push({ content: '<|begin_of_thought|>\n\nWait, the figure ' }, 0);
  assert.deepEqual(p.openSegment(), { index: 0, phase: 'thought', kind: 'reflection', reflection: 'backtrack', text: 'Wait, the figure ' });
  p.push({ content: 'is rotated.<|end_of_' }, 1);
  assert.equal(p.openSegment()?.text, 'Wait, the figure is rotated.');
  p.push({ content: 'thought|>\n' }, 2);
  assert.equal(p.openSegment(), null);
  assert.equal(p.segments.length, 1);
  assert.equal(p.phase, 'solution');
});

test('CRLF line ends and trailing spaces still split paragraphs', () => {
  const { segments } = parseInChunks('One.\r\n  \r\nTwo.\r\n', 2);
  assert.deepEqual(segments.map((s) => s.text.trimEnd()), ['One.', 'Two.']);
});

test('a long stream keeps tokens and times exact across the ledger\'s compaction', () => {
  const p = new ThoughtParser();
  const out: Segment[] = [];
  let t = 0;
  for (let para = 0; para < 300; para++) {
    for (const word of ['Step ', String(para), ' holds ', 'a few ', 'words.', '\n\n']) out.push(...p.push({ content: word }, (t += 10)));
  }
  out.push(...p.finish(t).segments);
  assert.equal(out.length, 300);
  assert.ok(out.every((s) => Number.isFinite(s.ms) && s.tokens === 6), 'six chunks a paragraph, finite times');
  assert.equal(out.reduce((a, s) => a + s.ms, 0), t - 10 - 0, 'segment times add up to the stream\'s duration');
});

test('the next step closes the previous one as soon as its first word arrives', () => {
  const p = new ThoughtParser();
  p.push({ content: 'So AB is five.\n\n' }, 0);
  assert.equal(p.openSegment()?.text, 'So AB is five.', 'waiting: display math may still join it');
  const closed = p.push({ content: 'Wait, the' }, 1);
  assert.deepEqual(closed.map((s) => s.text), ['So AB is five.']);
  assert.deepEqual(p.openSegment(), { index: 1, phase: 'thought', kind: 'reflection', reflection: 'backtrack', text: 'Wait, the' });
  // Display math keeps the step open until its paragraph is known.
  const q = new ThoughtParser();
  q.push({ content: 'We get\n\n$$x' }, 0);
  assert.equal(q.segments.length, 0);
  assert.equal(q.openSegment()?.text, 'We get\n\n$$x');
});

test('a marker quoted in inline code is text, not a phase change', () => {
  const text = 'The model writes `<|end_of_thought|>` when done, and ``x `<|begin_of_solution|>` y``.\n\nStill thinking.\n<|end_of_thought|>\n<|begin_of_solution|>\nDone \\boxed{1}.';
  for (let size = 1; size <= text.length; size += 3) {
    const { segments } = parseInChunks(text, size);
    assert.deepEqual(segments.map((s) => s.phase), ['thought', 'thought', 'solution'], `chunk size ${size}`);
    assert.match(segments[0].text, /`<\|end_of_thought\|>`/);
  }
});

/** Text that exercises the open segment's corner cases: markers whole, split and quoted, `<` that is no marker, white space. */
const tricky = [
  '<|begin_of_thought|>\n\n  The figure shows $a < b$ and <|end or <<|end_of_thought|> written as text?\n',
  'Then x < 3 < 4, so `<|end_of_thought|>` is quoted and `` ` `` too; <think> and </thi',
  'nk> are tags.\n\n',
  '**Wait**, the angle.\r\n   \r\n',
  '$$\nx = 1\n\n$$\n\n',
  '\\[ y = 2 \\]\n\n',
  'Let me just double-check: the sum is <5.\n\n',
  '\t- Alternatively, use the sine rule <|end_of_sol',
  'ution|> hmm\n\n',
  '```\ncode <|end_of_thought|> `x` < y\n\n```\n\n',
  'Σ is a sum; ’Hmm’ is quoted.\n\n',
  'I should re-examine ' + 'the long line '.repeat(12) + '<|end_of_thought|>tail\n',
  '<|begin_of_solution|>\n\nSo \\boxed{42}.\n<|end_of_solution|>',
].join('');

function* chunkings(text: string, runs: number, seed: number): Generator<string[]> {
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let run = 0; run < runs; run++) {
    const out: string[] = [];
    for (let i = 0; i < text.length;) {
      const n = 1 + Math.floor(rand() * (run % 3 === 0 ? 3 : 12));
      out.push(text.slice(i, i + n));
      i += n;
    }
    yield out;
  }
}

test('openSegment() after every chunk equals the open segment rebuilt from scratch', () => {
  for (const [name, text, runs] of [['triangle', triangle, 30], ['tricky', tricky, 60]] as const) {
    for (const chunks of chunkings(text, runs, name.length)) {
      const p = new ThoughtParser();
      let t = 0;
      for (const chunk of chunks) {
        p.push({ content: chunk }, t++);
        const open = p.openSegment();
        assert.deepEqual(open, p.openSegmentFromScratch(), `${name}, after ${JSON.stringify(chunks.slice(Math.max(0, t - 3), t))}`);
        assert.equal(p.openSegment(), open, 'cached until more text arrives');
      }
      p.finish(t);
      assert.equal(p.openSegment(), null);
    }
  }
});

test('openSegment() depends on the text so far, not on how it was chunked', () => {
  for (const text of [triangle, tricky]) {
    const [chunks] = chunkings(text, 1, 3);
    const p = new ThoughtParser();
    let sent = '';
    chunks.forEach((chunk, i) => {
      p.push({ content: chunk }, i);
      sent += chunk;
      const whole = new ThoughtParser();
      whole.push({ content: sent }, 0);
      assert.deepEqual(p.openSegment(), whole.openSegment(), JSON.stringify(sent.slice(-40)));
    });
  }
});

test('the open segment of a reasoning field follows it into the content', () => {
  const thought = 'Look at the figure.\n\nWait, the angle is 30°.\n\nHmm';
  for (const chunks of chunkings(thought, 20, 11)) {
    const p = new ThoughtParser();
    chunks.forEach((c, i) => {
      p.push({ reasoning: c }, i);
      assert.deepEqual(p.openSegment(), p.openSegmentFromScratch());
    });
    p.push({ content: 'The angle is ' }, 100);
    assert.deepEqual(p.openSegment(), { index: 3, phase: 'solution', kind: 'step', reflection: null, text: 'The angle is ' });
    assert.deepEqual(p.openSegment(), p.openSegmentFromScratch());
  }
});

test('the unfinished line\'s visible text, grown piece by piece, equals visibleText of the whole', () => {
  const parts = ['<|end_of_thought|>', '<|begin_of_solution|>', '<think>', '</think>', '<|end', '_of_', 'thought|>', '<', '|', '>', '`', '``', 'a', 'b c', ' ', '  ', '\t', 'x < 3', 'Wait'];
  let seed = 5;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  for (let run = 0; run < 3000; run++) {
    const line = new PartialLine();
    let raw = '';
    const stableHeads: string[] = [];
    for (let k = rand(12); k >= 0; k--) {
      let piece = '';
      for (let j = 1 + rand(3); j > 0; j--) piece += parts[rand(parts.length)];
      line.append(piece);
      raw += piece;
      const want = visibleText(raw);
      assert.equal(line.text, raw);
      assert.equal(line.visible(), want, JSON.stringify(raw));
      assert.equal(line.visibleInk, /\S/.test(want), JSON.stringify(raw));
      assert.equal(line.first, /\S/.exec(raw)?.[0] ?? '');
      const n = 1 + rand(20);
      const head = line.visibleHead(n, want);
      assert.equal(head.text, want.slice(0, n));
      if (head.stable) stableHeads.push(head.text);
      for (const h of stableHeads) assert.ok(want.startsWith(h), `${JSON.stringify(h)} was stable, then ${JSON.stringify(raw)}`);
    }
  }
});
