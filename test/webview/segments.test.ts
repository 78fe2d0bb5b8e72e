// The thought's DOM contract: what screen readers, tests and the benchmark rely on.
import './setup';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Segment } from '../../protocol/thought';
import type { HostToWebview } from '../../protocol/webviewMessages';
import { parseTranscript, sampleTranscript, triangleTranscript } from './fixtures';
import { $, $$, makePanel, type TestPanel } from './panelHarness';
import { posted, runFrames } from './setup';

let t: TestPanel;
afterEach(() => t?.dispose());

function expectedLabels(segments: Segment[]): string[] {
  let steps = 0;
  let reflections = 0;
  let solution = 0;
  return segments.map((s) => {
    if (s.phase === 'solution') return `Solution step ${++solution}`;
    if (s.kind === 'reflection') return `Reflection ${++reflections}, ${s.reflection}`;
    return `Step ${++steps}`;
  });
}

describe('segment list', () => {
  test('an ordered list with one <li> per segment carrying data-* and aria-label', () => {
    t = makePanel();
    const run = parseTranscript(sampleTranscript);
    t.feed(run.messages);
    const ol = $('ol.thought');
    assert.ok(ol);
    assert.equal(ol.localName, 'ol');
    // The <li>s sit in chunks the accessibility tree skips (role="none"), 32 to a chunk.
    const chunks = [...ol.children] as HTMLElement[];
    assert.ok(chunks.every((el) => el.getAttribute('role') === 'none' && el.children.length <= 32));
    const items = chunks.flatMap((c) => [...c.children]) as HTMLElement[];
    assert.ok(items.every((el) => el.localName === 'li'));
    assert.equal(items.length, run.segments.length);
    const labels = expectedLabels(run.segments);
    run.segments.forEach((s, i) => {
      const li = items[i];
      assert.equal(li.getAttribute('data-index'), String(s.index));
      assert.equal(li.getAttribute('data-phase'), s.phase);
      assert.equal(li.getAttribute('data-kind'), s.kind);
      assert.equal(li.getAttribute('data-reflection'), s.kind === 'reflection' ? s.reflection : null);
      assert.equal(li.getAttribute('aria-label'), labels[i]);
      assert.equal(li.getAttribute('tabindex'), '-1');
      assert.match(li.title, /\d+ tokens? · /);
      assert.equal(li.hasAttribute('data-open'), false);
    });
    // The sample: steps 1–4, then "Wait" (backtrack), …
    assert.equal(items[2].getAttribute('aria-label'), 'Step 3');
    assert.equal(items[4].getAttribute('aria-label'), 'Reflection 1, backtrack');
    assert.equal(items[5].getAttribute('aria-label'), 'Reflection 2, backtrack');
    assert.equal($$('li.segment--phase-start').length, 1);
    assert.equal($('li.segment--phase-start')!.getAttribute('aria-label'), 'Solution step 1');
  });

  test('reflections carry a visible badge with an icon and the type word', () => {
    t = makePanel();
    t.feed(parseTranscript(triangleTranscript).messages);
    for (const li of $$('li[data-kind="reflection"]')) {
      const badge = li.querySelector('.badge');
      assert.ok(badge, li.getAttribute('aria-label')!);
      assert.ok(badge.classList.contains(`badge--${li.dataset.reflection}`));
      assert.match(badge.textContent ?? '', /^[✓↩⇄]/u);
      assert.match((badge.textContent ?? '').toLowerCase(), new RegExp(li.dataset.reflection!));
    }
  });

  test('the open segment is one pending <li data-open>, replaced (not duplicated) when it closes', () => {
    t = makePanel();
    const run = parseTranscript(sampleTranscript, 3);
    const firstElement = new Map<number, Element>();
    let sawOpen = 0;
    for (const m of run.messages) {
      t.panel.handle(m);
      runFrames();
      const indices = $$('ol.thought li.segment').map((li) => li.dataset.index);
      assert.equal(new Set(indices).size, indices.length, 'no index appears twice');
      const open = $$('li[data-open="true"]');
      assert.ok(open.length <= 1);
      if (m.type === 'progress' && m.open && t.panel && open.length === 1) {
        sawOpen++;
        assert.equal(open[0].dataset.index, String(m.open.index));
        assert.equal(open[0].dataset.phase, m.open.phase);
        assert.equal(open[0].dataset.kind, m.open.kind);
        assert.equal(open[0], $$('ol.thought li').at(-1), 'the open segment is last');
      }
      // Closed segments are rendered once: their element never changes afterwards.
      for (const li of $$('ol.thought li.segment:not([data-open])')) {
        const i = Number(li.dataset.index);
        if (!firstElement.has(i)) firstElement.set(i, li);
        else assert.equal(firstElement.get(i), li, `segment ${i} was re-rendered`);
      }
    }
    assert.ok(sawOpen > 20);
    assert.equal($$('li[data-open]').length, 0);
    assert.equal($$('ol.thought li.segment').length, run.segments.length);
  });

  test('progress messages are coalesced into one frame', () => {
    t = makePanel();
    const run = parseTranscript(sampleTranscript);
    const progress = run.messages.filter((m): m is Extract<HostToWebview, { type: 'progress' }> => m.type === 'progress' && m.open !== null);
    t.panel.handle(run.messages[0]);
    runFrames();
    for (const m of progress.slice(0, 30)) t.panel.handle(m);
    assert.equal(runFrames(), 1);
    const open = $$('li[data-open="true"]');
    assert.equal(open.length, 1);
    assert.equal(open[0].dataset.index, String(progress[29].open!.index));
  });

  test('the answer card has data-role="answer", the boxed answer and copy buttons', () => {
    t = makePanel();
    const run = parseTranscript(sampleTranscript);
    t.feed(run.messages);
    const card = $('[data-role="answer"]');
    assert.ok(card);
    assert.equal(card.hidden, false);
    assert.equal(card.getAttribute('tabindex'), '-1');
    assert.equal(card.querySelectorAll('.answer__box').length, 1);
    const buttons = [...card.querySelectorAll('button')];
    buttons.find((b) => b.textContent === 'Copy answer')!.click();
    buttons.find((b) => b.textContent === 'Copy thought as Markdown')!.click();
    assert.deepEqual(posted.find((m) => m.type === 'copy' && m.what === 'answer'), { type: 'copy', what: 'answer', text: '\\sqrt{5}' });
    const thought = posted.find((m) => m.type === 'copy' && m.what === 'thought');
    assert.ok(thought && thought.type === 'copy' && thought.text.startsWith('## Thought\n\n**Step 1** The image shows'));
  });

  test('live stats sit in a polite live region', () => {
    t = makePanel();
    t.feed(parseTranscript(sampleTranscript).messages);
    const stats = $('[data-role="stats"]');
    assert.equal(stats?.getAttribute('aria-live'), 'polite');
    assert.match(stats!.textContent ?? '', /Tokens/);
  });

  test('the header offers Stop while running and Retry after the end', () => {
    t = makePanel();
    const run = parseTranscript(sampleTranscript);
    t.feed(run.messages.slice(0, 40));
    const button = (text: string) => $$<HTMLButtonElement>('.session__actions button').find((b) => b.textContent === text)!;
    assert.equal(button('Stop').hidden, false);
    assert.equal(button('Retry').hidden, true);
    button('Stop').click();
    assert.deepEqual(posted.at(-1), { type: 'stop' });
    t.feed(run.messages.slice(40));
    assert.equal(button('Stop').hidden, true);
    assert.equal(button('Retry').hidden, false);
    button('Retry').click();
    assert.deepEqual(posted.at(-1), { type: 'retry' });
  });
});

describe('end states', () => {
  const partial = () => parseTranscript(sampleTranscript).messages.filter((m) => m.type !== 'answer' && m.type !== 'end').slice(0, 120);

  test('an error shows an alert with the host\'s actions; the partial thought stays', () => {
    t = makePanel();
    t.feed(partial());
    const shown = $$('ol.thought li.segment').length;
    t.feed([{ type: 'end', reason: 'error', usage: null, error: 'Connection reset (ECONNRESET)', actions: ['retry', 'openSettings', 'setApiKey', 'checkBackend', 'showLog'] }]);
    const alert = $('[role="alert"].notice');
    assert.ok(alert);
    assert.match(alert.textContent ?? '', /ECONNRESET/);
    const labels = [...alert.querySelectorAll('button')].map((b) => b.textContent);
    assert.deepEqual(labels, ['Retry', 'Open Settings', 'Set API Key', 'Check Backend', 'Show Log']);
    for (const b of alert.querySelectorAll('button')) b.click();
    assert.deepEqual(posted.slice(-5), [
      { type: 'retry' },
      { type: 'action', action: 'openSettings' },
      { type: 'action', action: 'setApiKey' },
      { type: 'action', action: 'checkBackend' },
      { type: 'action', action: 'showLog' },
    ]);
    assert.equal($$('ol.thought li.segment').length, shown);
    assert.equal($$('li[data-open]').length, 0);
    assert.equal($$('li[data-partial="true"]').length, 1);
  });

  test('max tokens and stop say so', () => {
    t = makePanel();
    t.feed([...partial(), { type: 'end', reason: 'length', usage: null }]);
    assert.match($('.notices')!.textContent ?? '', /max tokens/);
    t.feed([{ type: 'sessionStarted', question: 'again', startedAt: 0 }, ...partial().slice(1), { type: 'end', reason: 'cancelled', usage: null }]);
    assert.match($('.notices')!.textContent ?? '', /Stopped/);
    assert.match($('.status')!.textContent ?? '', /Stopped/);
  });

  test('a new session clears the previous thought', () => {
    t = makePanel();
    t.feed(parseTranscript(sampleTranscript).messages);
    t.feed([{ type: 'sessionStarted', question: 'next', startedAt: 0 }]);
    assert.equal($$('ol.thought li.segment').length, 0);
    assert.equal($('[data-role="answer"]')!.hidden, true);
    assert.equal($('.session__question')!.textContent, 'next');
  });
});
