// Stepping through the thought: the pure Navigator, then keys and buttons on a real panel.
import './setup';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { commandForKey } from '../../webview/keyboard';
import { OutlineView, markAt, markPitch } from '../../webview/views/outlineView';
import { Navigator } from '../../webview/model/navigation';
import { composeMessage, parseTranscript, sampleTranscript, seg } from './fixtures';
import { $, $$, currentMarks, makePanel, type TestPanel } from './panelHarness';
import { press, runFrames, scrolledIntoView } from './setup';

describe('Navigator', () => {
  // 0 step, 1 step, 2 backtrack, 3 step, 4 verify, 5 solution
  const segments = [seg(0, 'step'), seg(1, 'step'), seg(2, 'reflection', 'backtrack'), seg(3, 'step'), seg(4, 'reflection', 'verify'), seg(5, 'step', null, 'solution')];

  test('steps, reflections, first/last and the answer', () => {
    const nav = new Navigator();
    nav.add(segments);
    assert.equal(nav.following, true);
    assert.deepEqual(nav.apply('next'), { current: 0, following: false, moved: true });
    assert.equal(nav.apply('next').current, 1);
    assert.equal(nav.apply('nextReflection').current, 2);
    assert.equal(nav.apply('nextReflection').current, 4);
    assert.deepEqual(nav.apply('nextReflection'), { current: 4, following: false, moved: false });
    assert.equal(nav.apply('prevReflection').current, 2);
    assert.equal(nav.apply('prevReflection').moved, false);
    assert.equal(nav.apply('last').current, 5);
    assert.equal(nav.apply('next').moved, false, 'no answer yet: stays on the last segment');
    nav.setAnswer(true);
    assert.equal(nav.apply('next').current, 'answer');
    assert.equal(nav.apply('prev').current, 5);
    assert.equal(nav.apply('answer').current, 'answer');
    assert.equal(nav.apply('prevReflection').current, 4);
    assert.equal(nav.apply('first').current, 0);
    assert.equal(nav.apply('prev').current, 0);
    assert.deepEqual(nav.apply('leave'), { current: null, following: false, moved: true });
    assert.deepEqual(nav.apply('follow'), { current: null, following: true, moved: true });
  });

  test('starting from the segment in view (anchor)', () => {
    const nav = new Navigator();
    nav.add(segments);
    assert.equal(nav.apply('next', 3).current, 3);
    nav.apply('leave');
    assert.equal(nav.apply('nextReflection', 3).current, 4);
    nav.apply('leave');
    assert.equal(nav.apply('prevReflection', 3).current, 2);
    nav.apply('leave');
    assert.equal(nav.apply('prev', 99).current, 5, 'anchor is clamped');
  });

  test('segments arrive over time; re-sent ones are ignored; goTo clamps', () => {
    const nav = new Navigator();
    nav.add(segments.slice(0, 3));
    nav.add(segments.slice(2));
    assert.equal(nav.segmentCount, 6);
    assert.deepEqual(nav.reflectionIndices, [2, 4]);
    assert.equal(nav.goTo(42).current, 5);
    assert.equal(nav.following, false);
    assert.equal(new Navigator().apply('next').moved, false);
  });

  test('reflection search stays fast with 20,000 segments', () => {
    const nav = new Navigator();
    const many = Array.from({ length: 20_000 }, (_, i) => seg(i, i % 7 === 3 ? 'reflection' : 'step', i % 7 === 3 ? 'verify' : null));
    nav.add(many);
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) nav.apply(i % 2 ? 'nextReflection' : 'prevReflection', i * 9);
    assert.ok(performance.now() - t0 < 100);
  });

  test('key map', () => {
    const k = (key: string, mods: Partial<KeyboardEvent> = {}) => commandForKey({ key, ctrlKey: false, metaKey: false, altKey: false, ...mods });
    assert.deepEqual(
      ['j', 'ArrowDown', 'k', 'ArrowUp', 'n', 'p', 'N', 'g', 'Home', 'G', 'End', 'a', 'f', 'Escape'].map((key) => k(key)),
      ['next', 'next', 'prev', 'prev', 'nextReflection', 'prevReflection', 'prevReflection', 'first', 'first', 'last', 'last', 'answer', 'follow', 'leave'],
    );
    assert.equal(k('j', { ctrlKey: true }), null);
    assert.equal(k('n', { metaKey: true }), null);
    assert.equal(k('x'), null);
    assert.equal(k('toString'), null);
  });
});

describe('stepping in the panel', () => {
  let t: TestPanel;
  afterEach(() => t?.dispose());
  const run = parseTranscript(sampleTranscript);
  const reflections = run.segments.filter((s) => s.kind === 'reflection').map((s) => String(s.index));
  const last = String(run.segments.length - 1);

  function key(k: string): KeyboardEvent {
    const e = press(k);
    runFrames();
    return e;
  }

  test('j/k/n/p/N/g/G/a/Escape move aria-current, focus and scroll', () => {
    t = makePanel();
    t.feed(run.messages);
    const list = $('ol.thought')!;
    assert.deepEqual(currentMarks(), []);
    assert.equal(key('g').defaultPrevented, true);
    assert.deepEqual(currentMarks(), ['0']);
    assert.ok(list.classList.contains('is-stepping'));
    assert.equal(document.activeElement, $('li[data-index="0"]'));
    assert.equal(scrolledIntoView.at(-1), $('li[data-index="0"]'));
    key('j');
    assert.deepEqual(currentMarks(), ['1']);
    key('ArrowDown');
    assert.deepEqual(currentMarks(), ['2']);
    key('k');
    key('ArrowUp');
    assert.deepEqual(currentMarks(), ['0']);
    key('n');
    assert.deepEqual(currentMarks(), [reflections[0]]);
    key('n');
    assert.deepEqual(currentMarks(), [reflections[1]]);
    key('p');
    assert.deepEqual(currentMarks(), [reflections[0]]);
    key('N');
    assert.deepEqual(currentMarks(), [reflections[0]], 'no earlier reflection: stays');
    assert.match($('.toolbar__position')!.textContent ?? '', /No earlier reflection/);
    key('G');
    assert.deepEqual(currentMarks(), [last]);
    key('Home');
    assert.deepEqual(currentMarks(), ['0']);
    key('End');
    assert.deepEqual(currentMarks(), [last]);
    key('a');
    assert.deepEqual(currentMarks(), ['answer']);
    assert.equal(document.activeElement, $('[data-role="answer"]'));
    key('k');
    assert.deepEqual(currentMarks(), [last]);
    key('j');
    assert.deepEqual(currentMarks(), ['answer']);
    key('Escape');
    assert.deepEqual(currentMarks(), []);
    assert.ok(!list.classList.contains('is-stepping'));
    assert.equal(key('Escape').defaultPrevented, false, 'Escape outside stepping is not ours');
  });

  test('the outline mirrors the current segment and jumps on click', () => {
    t = makePanel();
    t.feed(run.messages);
    const outline = $('.outline')!;
    assert.equal(outline.dataset.marks, String(run.segments.length));
    const canvas = $<HTMLCanvasElement>('.outline canvas')!;
    // happy-dom has no layout: give the strip a height, then click on the 8th mark (8 px + 2 px gap each).
    Object.defineProperty(canvas, 'clientHeight', { value: 600 });
    const click = new MouseEvent('click', { bubbles: true });
    Object.defineProperty(click, 'offsetY', { value: 7 * 10 + 3 });
    canvas.dispatchEvent(click);
    runFrames();
    assert.deepEqual(currentMarks(), ['7']);
    assert.equal(outline.dataset.current, '7');
    key('j');
    assert.equal(outline.dataset.current, '8');
  });

  test('outline marks: kinds by segment, and where a click lands', () => {
    const view = new OutlineView(() => {});
    view.append(run.segments);
    const kinds = view.marks;
    assert.deepEqual(kinds.map((k, i) => (k === 'step' || k === 'solution' ? -1 : i)).filter((i) => i >= 0).map(String), reflections);
    assert.ok(kinds.includes('solution'));
    assert.deepEqual(markPitch(10, 600), { size: 8, gap: 2 });
    assert.equal(markAt(0, 600, 10), 0);
    assert.equal(markAt(95, 600, 10), 9);
    assert.equal(markAt(101, 600, 10), null, 'below the last mark');
    // 1,000 marks in 500 px: half a pixel each, no gaps, still one index per half pixel.
    assert.deepEqual(markPitch(1000, 500), { size: 0.5, gap: 0 });
    assert.equal(markAt(250, 500, 1000), 500);
  });

  test('toolbar buttons step too, and say their keys', () => {
    t = makePanel();
    t.feed(run.messages);
    const tool = (label: string) => $$<HTMLButtonElement>('[role="toolbar"] button').find((b) => b.getAttribute('aria-label') === label)!;
    assert.equal(tool('Next segment').getAttribute('aria-keyshortcuts'), 'j ArrowDown');
    tool('First segment').click();
    tool('Next reflection').click();
    assert.deepEqual(currentMarks(), [reflections[0]]);
    tool('Jump to answer').click();
    assert.deepEqual(currentMarks(), ['answer']);
  });

  test('following stops on navigation or scrolling up and resumes with f', () => {
    t = makePanel();
    t.feed(run.messages.slice(0, 150));
    const follow = $$<HTMLButtonElement>('[role="toolbar"] button').find((b) => b.dataset.command === 'follow')!;
    assert.equal(follow.hidden, true, 'following: no Follow button');
    key('k');
    assert.deepEqual(currentMarks().length, 1);
    assert.equal(follow.hidden, false);
    key('f');
    assert.deepEqual(currentMarks(), []);
    assert.equal(follow.hidden, true);
    const scroller = $('.scroller')!;
    scroller.dispatchEvent(new WheelEvent('wheel', { deltaY: -120, bubbles: true }));
    runFrames();
    assert.equal(follow.hidden, false);
    follow.click();
    assert.equal(follow.hidden, true);
    t.feed(run.messages.slice(150));
    assert.equal(follow.hidden, true, 'no Follow button once the stream has ended');
  });

  test('keys typed into the question box are text, not commands', () => {
    t = makePanel();
    t.feed([composeMessage()]);
    const box = $<HTMLTextAreaElement>('#virgo-question')!;
    box.focus();
    for (const k of ['j', 'k', 'n', 'g', 'G', 'a', 'f']) assert.equal(press(k, box).defaultPrevented, false);
    t.feed(run.messages);
    for (const k of ['j', 'n', 'g']) press(k, box);
    runFrames();
    assert.deepEqual(currentMarks(), []);
    press('j', document.body);
    assert.equal(currentMarks().length, 1);
  });

  test('clicking a segment\'s number steps to it', () => {
    t = makePanel();
    t.feed(run.messages);
    $('li[data-index="3"] .segment__gutter')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    assert.deepEqual(currentMarks(), ['3']);
  });
});
