// The compare page ("Sample N times"): built from the host's messages, the agreement header's
// numbers, one column per sample, the divergence marks, the keys, and model text kept as text.
import './setup';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompareToHost, HostToCompare } from '../../protocol/compare';
import type { Phase, ReflectionType, Segment, SegmentKind } from '../../protocol/thought';
import { compareSamples } from '../../server/lsp/compareService';
import { CompareView } from '../../webview/compare/compareView';
import { compareKeyCommand } from '../../webview/compare/compareKeys';
import { isHostToCompare } from '../../webview/compare/compareMessages';
import { press, resetDom } from './setup';

function seg(index: number, text: string, kind: SegmentKind = 'step', reflection: ReflectionType | null = null, phase: Phase = 'thought'): Segment {
  return { index, phase, kind, reflection, text, tokens: 12, ms: 40 };
}

const shared = ['The right triangle has legs $1$ and $2$.', 'By Pythagoras, $AB^2 = 1^2 + 2^2$.'];
/** Samples 1 and 2 agree on \sqrt{5} but part at step 3; sample 3 goes another way at step 2 and says 3. */
const traces: Segment[][] = [
  [seg(0, shared[0]), seg(1, shared[1]), seg(2, 'So $AB^2 = 5$ and $AB = \\sqrt{5}$.'), seg(3, 'The answer is $\\boxed{\\sqrt{5}}$.', 'step', null, 'solution')],
  [seg(0, shared[0]), seg(1, shared[1]), seg(2, 'Wait, let me recheck the legs: they are $1$ and $2$.', 'reflection', 'verify'), seg(3, 'So $AB = \\sqrt{5}$.'), seg(4, '$\\boxed{\\sqrt5}$', 'step', null, 'solution')],
  [seg(0, shared[0]), seg(1, 'Measuring $AB$ on the figure gives about $3$. <img src=x onerror="window.__pwned=1">'), seg(2, '$\\boxed{3}$', 'step', null, 'solution')],
];
const boxed = [['\\sqrt{5}'], ['\\sqrt5'], ['3']];

let posted: CompareToHost[];
let view: CompareView;
const $ = <T extends Element = HTMLElement>(s: string): T | null => document.querySelector<T>(s);
const $$ = <T extends Element = HTMLElement>(s: string): T[] => [...document.querySelectorAll<T>(s)];
const column = (i: number) => $(`section[data-sample="${i}"]`)!;
const currentIn = (i: number) => column(i).querySelector<HTMLElement>('li[aria-current]')?.dataset.index ?? null;

function feed(messages: HostToCompare[]): void {
  for (const m of messages) {
    assert.ok(isHostToCompare(m), `a host message: ${m.type}`);
    view.handle(m);
  }
}

/** The whole run as the host sends it: init, each sample's status, segments, answer, end, the agreement. */
function run(opts: { agreement?: boolean } = {}): void {
  feed([{ type: 'init', question: 'How long is AB?', imageName: 'triangle.png', count: 3, temperature: 0.7 }]);
  traces.forEach((t, i) => feed([
    { type: 'status', sample: i, status: 'streaming' },
    { type: 'progress', sample: i, chunks: 40 },
    { type: 'segments', sample: i, segments: t.slice(0, 2) },
    { type: 'segments', sample: i, segments: t.slice(2) },
    { type: 'answer', sample: i, answer: { text: '', boxed: boxed[i] } },
    { type: 'end', sample: i, reason: 'stop' },
    { type: 'status', sample: i, status: 'done' },
  ]));
  if (opts.agreement !== false) feed([{ type: 'agreement', result: compareSamples({ boxed, traces }), final: true }]);
}

beforeEach(() => {
  resetDom();
  posted = [];
  view = new CompareView(document.body, { post: (m) => { posted.push(m); } });
});
afterEach(() => { view.dispose(); resetDom(); });

describe('compare page', () => {
  test('one <section aria-label="Sample N"> column per sample, with its segments as the panel lists them', () => {
    run();
    assert.equal($('h1')?.textContent, 'Compare 3 samples');
    const sections = $$('section[data-sample]');
    assert.deepEqual(sections.map((s) => s.getAttribute('aria-label')), ['Sample 1', 'Sample 2', 'Sample 3']);
    traces.forEach((t, i) => {
      const items = [...sections[i].querySelectorAll<HTMLLIElement>('ol li.segment')];
      assert.equal(items.length, t.length);
      assert.ok(items.every((li, k) => li.dataset.index === String(k) && li.dataset.kind === t[k].kind));
    });
    const reflection = sections[1].querySelector<HTMLElement>('li[data-index="2"]')!;
    assert.equal(reflection.dataset.reflection, 'verify');
    assert.equal(reflection.getAttribute('aria-label'), 'Reflection 1, verify');
    assert.equal(sections[0].querySelector('li[data-index="2"]')?.getAttribute('aria-label'), 'Step 3');
    assert.equal(sections[0].querySelector('[data-role="status"]')?.getAttribute('data-status'), 'done');
    assert.match(sections[0].querySelector('[data-role="status"]')?.textContent ?? '', /Done · 4 segments/);
    // Math in segments is rendered (KaTeX MathML), not left as TeX.
    assert.ok(sections[0].querySelector('li[data-index="2"] math'));
  });

  test('the agreement header: majority answer in KaTeX, "2 of 3 samples (67%)", the other group, in a live region', () => {
    run({ agreement: false });
    assert.match($('[data-role="agreement"]')!.textContent ?? '', /Waiting/);
    feed([{ type: 'agreement', result: compareSamples({ boxed, traces }), final: true }]);
    const region = $('[data-role="agreement"]')!;
    assert.equal(region.getAttribute('aria-live'), 'polite');
    assert.equal(region.dataset.final, 'true');
    assert.equal(region.dataset.tie, undefined);
    assert.ok(region.querySelector('[data-role="majority-answer"] math'), 'the majority answer is MathML');
    assert.equal(region.querySelector('[data-role="share"]')?.textContent, '2 of 3 samples (67%)');
    const others = [...region.querySelectorAll('[data-role="other-groups"] li')];
    assert.equal(others.length, 1);
    assert.match(others[0].textContent ?? '', /1 sample \(sample 3\)/);
    // Badges: samples 1 and 2 are the majority, 3 the minority.
    assert.deepEqual([0, 1, 2].map((i) => column(i).querySelector<HTMLElement>('[data-role="answer"]')!.dataset.agreement), ['majority', 'majority', 'minority']);
    assert.equal(column(2).querySelector('.sample__standing')?.textContent, 'minority');
  });

  test('a tie, samples without an answer and samples still running are told apart', () => {
    feed([{ type: 'init', question: 'q', imageName: 'x.png', count: 5, temperature: 0.7 }]);
    const b = [['4'], ['5'], [], ['4.0'], ['5']];
    for (const i of [0, 1, 2, 3]) feed([{ type: 'answer', sample: i, answer: { text: '', boxed: b[i] } }, { type: 'end', sample: i, reason: i === 2 ? 'length' : 'stop' }]);
    feed([{ type: 'agreement', result: compareSamples({ boxed: [b[0], b[1], b[2], b[3], []], traces: [[], [], [], [], []] }), final: false }]);
    let region = $('[data-role="agreement"]')!;
    assert.match(region.querySelector('h2')?.textContent ?? '', /so far \(4 of 5 finished\)/);
    assert.equal(region.querySelector('[data-role="share"]')?.textContent, '2 of 5 samples (40%)');
    assert.equal(region.querySelector('[data-role="unanswered"]')?.textContent, '1 sample without an answer · 1 sample still running');
    feed([{ type: 'answer', sample: 4, answer: { text: '', boxed: b[4] } }, { type: 'end', sample: 4, reason: 'stop' }]);
    feed([{ type: 'agreement', result: compareSamples({ boxed: b, traces: [[], [], [], [], []] }), final: true }]);
    region = $('[data-role="agreement"]')!;
    assert.equal(region.dataset.tie, 'true');
    assert.match(region.textContent ?? '', /Tie: no single majority/);
    assert.equal(region.querySelector('[data-role="unanswered"]')?.getAttribute('data-no-answer'), '1');
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => column(i).querySelector<HTMLElement>('[data-role="answer"]')!.dataset.agreement), ['tie', 'tie', 'none', 'tie', 'tie']);
  });

  test('divergence: each trace\'s first own step is marked with a visible label; the common prefix is marked shared', () => {
    run();
    // Samples 1 and 2 share steps 1–2 and part at index 2; sample 3 parts from both at index 1.
    assert.deepEqual([0, 1, 2].map((i) => column(i).dataset.divergesAt), ['2', '2', '1']);
    for (const [i, at] of [[0, 2], [1, 2], [2, 1]] as const) {
      const marked = [...column(i).querySelectorAll<HTMLElement>('li[data-diverges="true"]')];
      assert.deepEqual(marked.map((li) => li.dataset.index), [String(at)]);
      assert.equal(marked[0].querySelector('.diverge-label')?.textContent, 'diverges here');
      // All three share only the first step.
      assert.deepEqual([...column(i).querySelectorAll<HTMLElement>('li[data-shared="true"]')].map((li) => li.dataset.index), ['0']);
    }
    assert.equal($$('.diverge-label').length, 3);
  });

  test('segments arriving after the agreement get the shared mark too; re-sent marks are not doubled', () => {
    feed([{ type: 'init', question: 'q', imageName: 'x.png', count: 2, temperature: 0.7 }]);
    feed([{ type: 'segments', sample: 0, segments: traces[0].slice(0, 1) }, { type: 'segments', sample: 1, segments: traces[1].slice(0, 3) }]);
    const partial = compareSamples({ boxed: [[], []], traces: [traces[0].slice(0, 1), traces[1].slice(0, 3)] });
    feed([{ type: 'agreement', result: partial, final: false }]);
    feed([{ type: 'segments', sample: 0, segments: traces[0].slice(1) }]);
    const final = compareSamples({ boxed: [[], []], traces: [traces[0], traces[1].slice(0, 3)] });
    feed([{ type: 'agreement', result: final, final: false }, { type: 'agreement', result: final, final: true }]);
    assert.deepEqual([...column(0).querySelectorAll<HTMLElement>('li[data-shared]')].map((li) => li.dataset.index), ['0', '1']);
    assert.equal(column(0).querySelectorAll('.diverge-label').length, 1);
  });

  test('keys: j/k step within the focused column, l/h (and arrows) move across at the same step, d jumps to the divergence', () => {
    run();
    column(0).querySelector<HTMLElement>('ol')!.focus();
    press('j');
    assert.equal(currentIn(0), '0');
    press('j');
    press('j');
    assert.equal(currentIn(0), '2');
    press('k');
    assert.equal(currentIn(0), '1');
    assert.equal((document.activeElement as HTMLElement).dataset.index, '1', 'the current segment has focus');
    press('l');
    assert.equal(currentIn(1), '1', 'the next column, same step');
    assert.equal(document.activeElement?.closest('section')?.getAttribute('aria-label'), 'Sample 2');
    press('ArrowRight');
    assert.equal(currentIn(2), '1');
    press('l');
    assert.equal(currentIn(2), '1', 'no column after the last');
    press('G');
    assert.equal(currentIn(2), '2');
    press('h');
    assert.equal(currentIn(1), '2');
    press('ArrowLeft');
    press('g');
    assert.equal(currentIn(0), '0');
    press('d');
    assert.equal(currentIn(0), '2', 'sample 1 diverges at step 3');
    assert.match($('[data-role="announce"]')?.textContent ?? '', /Sample 1 diverges at Step 3/);
    press('j', document.activeElement!, { ctrlKey: true });
    assert.equal(currentIn(0), '2', 'chords belong to VS Code');
  });

  test('buttons: Jump to divergence, Open in panel (once ended), Stop all', () => {
    feed([{ type: 'init', question: 'q', imageName: 'x.png', count: 3, temperature: 0.7 }]);
    const open = column(2).querySelector<HTMLButtonElement>('button[data-action="open"]')!;
    const jump = column(2).querySelector<HTMLButtonElement>('button[data-action="divergence"]')!;
    assert.equal(open.disabled, true, 'nothing to open while it runs');
    assert.equal(jump.disabled, true);
    $$<HTMLButtonElement>('button').find((b) => b.textContent === 'Stop all')!.click();
    assert.deepEqual(posted, [{ type: 'stop' }]);
    traces.forEach((t, i) => feed([{ type: 'segments', sample: i, segments: t }, { type: 'end', sample: i, reason: 'stop' }]));
    feed([{ type: 'agreement', result: compareSamples({ boxed, traces }), final: true }]);
    assert.equal($$<HTMLButtonElement>('button').find((b) => b.textContent === 'Stop all')!.hidden, true);
    jump.click();
    assert.equal(currentIn(2), '1');
    open.click();
    assert.deepEqual(posted.at(-1), { type: 'openSample', sample: 2 });
  });

  test('model text is sanitized: an <img onerror> in a segment renders as text', () => {
    run();
    const li = column(2).querySelector<HTMLElement>('li[data-index="1"]')!;
    assert.equal(li.querySelector('img'), null);
    assert.equal($$('img').length, 0);
    assert.match(li.textContent ?? '', /<img src=x onerror="window.__pwned=1">/);
    assert.equal((globalThis as { __pwned?: number }).__pwned, undefined);
  });

  test('key map and message guard', () => {
    const k = (key: string) => compareKeyCommand({ key, ctrlKey: false, metaKey: false, altKey: false });
    assert.deepEqual(['j', 'k', 'h', 'l', 'ArrowLeft', 'ArrowRight', 'd', 'x'].map(k), ['next', 'prev', 'prevColumn', 'nextColumn', 'prevColumn', 'nextColumn', 'divergence', null]);
    assert.equal(isHostToCompare({ type: 'compose' }), false);
    assert.equal(isHostToCompare(null), false);
  });
});
