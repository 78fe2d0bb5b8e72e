// The panel survives VS Code re-creating the webview: the saved state rebuilds the same thought.
import './setup';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostToWebview } from '../../protocol/webviewMessages';
import { isSavedPanel, replayMessages, SessionRecorder, type SavedPanel } from '../../webview/persistence';
import { composeMessage, parseTranscript, sampleTranscript } from './fixtures';
import { $, $$, makePanel, type TestPanel } from './panelHarness';

let t: TestPanel;
afterEach(() => t?.dispose());

function recordAll(panel: TestPanel, messages: HostToWebview[]): { saves: number; state: SavedPanel } {
  const recorder = new SessionRecorder();
  let saves = 0;
  for (const m of messages) {
    panel.panel.handle(m);
    panel.clock.advance(10);
    if (recorder.record(m, () => panel.panel.statsSnapshot())) saves++;
  }
  return { saves, state: JSON.parse(JSON.stringify(recorder.state())) as SavedPanel };
}

test('a finished session is saved once and replays into the same panel', () => {
  t = makePanel();
  const run = parseTranscript(sampleTranscript);
  const { saves, state } = recordAll(t, [composeMessage(), ...run.messages]);
  assert.equal(saves, 2, 'saved on the new image and at the end, never per segment');
  assert.ok(isSavedPanel(state));
  const before = { items: $$('ol.thought li.segment').length, stats: $('[data-role="stats"]')!.textContent };
  t.dispose();

  t = makePanel();
  t.panel.restore(replayMessages(state), state.session!.stats);
  assert.equal($$('ol.thought li.segment').length, before.items);
  assert.equal($('[data-role="answer"]')!.hidden, false);
  assert.equal($('[data-role="stats"]')!.textContent, before.stats);
  assert.equal($('.session')!.hidden, false);
  assert.equal($('.session__question')!.textContent, 'What is the length of AB?');
});

test('a newer image after the session restores to the question box', () => {
  t = makePanel();
  const run = parseTranscript(sampleTranscript);
  const { state } = recordAll(t, [composeMessage(), ...run.messages, composeMessage(['Newer question?'])]);
  t.dispose();
  t = makePanel();
  const replay = replayMessages(state);
  assert.equal(replay[0].type, 'sessionStarted');
  assert.equal(replay.at(-1)!.type, 'compose');
  t.panel.restore(replay, state.session!.stats);
  assert.equal($('.compose-pane')!.hidden, false);
  assert.equal($('.session')!.hidden, true);
  assert.equal($$('ol.thought li.segment').length, run.segments.length, 'the thought is still there behind');
});
