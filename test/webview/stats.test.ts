// Live stats: the numbers (pure) and the throttled live region (DOM).
import './setup';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatClock, formatDuration } from '../../webview/model/format';
import { LiveStats } from '../../webview/model/liveStats';
import { StatsView } from '../../webview/views/statsView';
import { parseTranscript, sampleTranscript, seg } from './fixtures';
import { $, makePanel, type TestPanel } from './panelHarness';

test('tokens, rate, elapsed, reflections by type and time per phase', () => {
  const s = new LiveStats();
  s.begin(0);
  assert.equal(s.snapshot(500).tokensPerSecond, null);
  s.progress(0, null, 800); // nothing yet: the first chunk has not arrived
  s.progress(10, 'thought', 1000);
  s.segments([seg(0, 'step'), seg(1, 'reflection', 'backtrack'), seg(2, 'reflection', 'backtrack'), seg(3, 'reflection', 'verify')], 1500);
  s.progress(210, 'thought', 3000);
  let snap = s.snapshot(3000);
  assert.equal(snap.running, true);
  assert.equal(snap.tokens, 210);
  assert.equal(snap.tokensPerSecond, 105); // 210 chunks over 2 s of writing
  assert.equal(snap.elapsedMs, 3000);
  assert.deepEqual(snap.reflections, { verify: 1, backtrack: 2, alternative: 0 });
  assert.equal(snap.reflectionTotal, 3);
  assert.equal(snap.steps, 1);
  assert.equal(snap.thoughtMs, 2000);
  assert.equal(snap.solutionMs, 0);
  s.progress(250, 'solution', 4000);
  s.segments([seg(4, 'step', null, 'solution')], 4500);
  s.progress(300, 'solution', 5000);
  s.finish(6000, { prompt_tokens: 1, completion_tokens: 299, total_tokens: 300 });
  snap = s.snapshot(60_000);
  assert.equal(snap.running, false);
  assert.equal(snap.elapsedMs, 6000, 'the clock stops at the end');
  assert.equal(snap.thoughtMs, 3000);
  assert.equal(snap.solutionMs, 2000);
  assert.equal(snap.tokensPerSecond, 75); // 300 over 4 s, first to last chunk
  assert.equal(snap.usageTokens, 299);
  assert.equal(snap.steps, 1, 'solution segments are not thought steps');
});

test('formatting', () => {
  assert.equal(formatBytes(12595), '12.3 KB');
  assert.equal(formatBytes(900), '900 B');
  assert.equal(formatClock(65_000), '1:05');
  assert.equal(formatClock(3_725_000), '1:02:05');
  assert.equal(formatDuration(850), '850 ms');
  assert.equal(formatDuration(4200), '4.2 s');
  assert.equal(formatDuration(Number.NaN), '—');
});

test('the live region is written at most once a second unless forced', () => {
  let now = 0;
  const view = new StatsView(() => now);
  const s = new LiveStats();
  s.begin(0);
  view.update(s.snapshot(now), true);
  const tokens = () => view.element.querySelector('.stat--tokens .stat__value')!.textContent;
  assert.equal(tokens(), '0');
  s.progress(100, 'thought', 200);
  now = 400;
  view.update(s.snapshot(now));
  assert.equal(tokens(), '0', 'too soon');
  now = 1000;
  view.update(s.snapshot(now));
  assert.equal(tokens(), '100');
  s.progress(1500, 'thought', 1100);
  now = 1200;
  view.update(s.snapshot(now), true);
  assert.equal(tokens(), '1,500');
});

let t: TestPanel;
afterEach(() => t?.dispose());

test('the panel shows the numbers of a session', () => {
  t = makePanel();
  const run = parseTranscript(sampleTranscript);
  t.feed(run.messages.slice(0, -1), 10);
  t.panel.tick();
  t.feed(run.messages.slice(-1));
  const text = $('[data-role="stats"]')!.textContent ?? '';
  const chunks = run.messages.filter((m) => m.type === 'progress').at(-1);
  assert.ok(chunks && chunks.type === 'progress');
  assert.match(text, new RegExp(`Tokens${chunks.chunks}`));
  assert.match(text, /Reflections7/);
  assert.match(text, /tok\/s/);
});
