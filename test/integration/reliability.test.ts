// Interrupted thoughts continue in place; many sessions at once stay apart and the host stays responsive.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { splitText, startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';
import { click, evalInAllWebviews, evalInPage, evalInWebview, press, screenshot, type as typeText } from './uiBridge';
import { TRIANGLE_TRANSCRIPT } from './transcript';
import { until } from './waitUntil';

const sample = vscode.Uri.file(path.join(path.resolve(__dirname, '..', '..', '..'), 'media', 'samples', 'right-triangle.png'));
const panelTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
  .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('virgo.reasoning'));
const segmentTexts = () => evalInWebview<string[]>(`[...document.querySelectorAll('ol li[data-index]:not([data-open]):not([data-partial])')].map((li) => li.dataset.index + ':' + li.getAttribute('aria-label'))`);
const status = () => evalInWebview<string>(`document.querySelector('[data-status]')?.dataset.status ?? ''`);

suite('reliability', () => {
  let backend: FakeBackend;

  suiteSetup(async () => {
    backend = await startFakeBackend();
    await vscode.workspace.getConfiguration('virgo').update('backendUrl', backend.url, vscode.ConfigurationTarget.Global);
  });

  teardown(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('virgo').update('maxConcurrentSessions', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await backend?.close();
  });

  test('a connection dropped mid-thought continues in place: nothing lost, nothing doubled', async () => {
    const pieces = splitText(TRIANGLE_TRANSCRIPT, 6);
    const cut = 150; // chunks before the drop: mid-paragraph
    backend.setScenario({ kind: 'stream', content: pieces, delayMs: 2, fault: { kind: 'drop', afterChunks: cut } });
    void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question: 'What is AB?' });
    const alert = await until('the dropped connection in the panel', () =>
      evalInWebview<string>(`document.querySelector('.notice[role="alert"]')?.textContent ?? ''`).then((t) => /dropped/i.test(t) && t));
    assert.match(alert, /Continue/);
    const before = await segmentTexts();
    assert.ok(before.length >= 3, 'the closed segments stay');
    assert.equal(await evalInWebview<number>(`document.querySelectorAll('ol li[data-partial="true"]').length`), 1, 'the cut paragraph stays, marked incomplete');
    await screenshot('panel-dropped');

    backend.setScenario({ kind: 'stream', content: pieces.slice(cut), delayMs: 1 });
    await click('.notice button[data-action="continue"]', { inWebview: true });
    await until('the continued thought to finish', async () => (await status()) === 'done');
    const after = await segmentTexts();
    assert.equal(after.length, 11, 'the same 11 segments as an uninterrupted run');
    assert.deepEqual(after.slice(0, before.length), before, 'old segments untouched');
    assert.equal(new Set(after).size, after.length, 'no duplicates');
    assert.equal(await evalInWebview<number>(`document.querySelectorAll('ol li[data-partial], ol li[data-open]').length`), 0);
    assert.match(await evalInWebview<string>(`document.querySelector('[data-role="answer"]').textContent`), /5/);
    const chat = backend.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!.body as { messages: Array<{ role: string; content: string }>; continue_final_message: boolean };
    assert.equal(chat.messages.at(-1)!.role, 'assistant');
    assert.equal(chat.messages.at(-1)!.content, pieces.slice(0, cut).join(''));
    assert.equal(chat.continue_final_message, true);
    await screenshot('panel-continued');
  });

  test('"Virgo: Save Recording" writes a replayable recording, without image bytes', async () => {
    backend.setScenario({ kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 20 });
    void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question: 'Record me' });
    await until('the session to finish', async () => (await status()) === 'done' &&
      (await evalInWebview<string>(`document.querySelector('.session__question')?.textContent ?? ''`)) === 'Record me');
    const target = path.join(os.tmpdir(), `virgo-recording-${Date.now()}.json`);
    void vscode.commands.executeCommand('virgo.saveRecording');
    await until('the save dialog, focused', () => evalInPage<boolean>(`!!document.activeElement?.closest('.quick-input-widget')`));
    await press('Control+a');
    await typeText(target);
    await press('Enter');
    const text = await until('the recording file', async () => fs.existsSync(target) && fs.readFileSync(target, 'utf8'));
    const rec = JSON.parse(text);
    assert.equal(rec.format, 'virgo-recording');
    assert.equal(rec.question, 'Record me');
    assert.ok(rec.events.length >= 20);
    assert.equal(rec.events.map((e: { content?: string }) => e.content ?? '').join(''), TRIANGLE_TRANSCRIPT);
    assert.ok(!/base64,[A-Za-z0-9+/]{200}/.test(text), 'no image bytes');
    fs.rmSync(target, { force: true });
  });

  test('8 sessions at once with a cap of 3: the rest queue, all finish, none sees another\'s thought', async function () {
    this.timeout(240_000);
    await vscode.workspace.getConfiguration('virgo').update('maxConcurrentSessions', 3, vscode.ConfigurationTarget.Global);
    const thought = (i: number) =>
      `<|begin_of_thought|>\n\nThis is session ${i}, step one. ${'It looks at the figure once more. '.repeat(24)}\n\nWait, session ${i} checks again.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nSession ${i}: $\\boxed{${100 + i}}$\n\n<|end_of_solution|>`;
    backend.setScenario({ kind: 'sequence', steps: Array.from({ length: 8 }, (_, i) => ({ kind: 'stream' as const, content: thought(i), chunkChars: 4, delayMs: 50 })) });
    backend.requests.length = 0;
    const closedBefore = backend.closedConnections;

    // The extension host's event loop, sampled while the sessions stream.
    let maxLag = 0;
    let last = performance.now();
    const sampler = setInterval(() => { const now = performance.now(); maxLag = Math.max(maxLag, now - last - 20); last = now; }, 20);
    try {
      for (let i = 0; i < 8; i++) {
        void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question: `Question ${i}` });
        await until(`panel ${i}`, async () => panelTabs().length === i + 1);
        // Let its session start before the next command looks for an idle panel to reuse.
        await new Promise((r) => setTimeout(r, 700));
        if (i === 3) {
          // Three sessions stream; the fourth (the panel in front) waits for a slot.
          const queued = await until('the queue notice', () =>
            evalInAllWebviews<string>(`document.querySelector('.notice')?.textContent ?? ''`).then((all) => all.find((t) => /Waiting for a free slot/.test(t))));
          assert.match(queued, /1 session ahead|sessions ahead/);
          await screenshot('panels-queued');
        }
      }

      // Every panel, shown or in a background tab: finished, with one session's thought and answer only.
      const read = `(() => ({
        question: document.querySelector('.session__question')?.textContent ?? '',
        status: document.querySelector('[data-status]')?.dataset.status ?? '',
        thought: document.querySelector('ol')?.textContent ?? '',
        answer: document.querySelector('[data-role="answer"]')?.textContent ?? '',
      }))()`;
      type PanelRead = { question: string; status: string; thought: string; answer: string };
      // All 8 streams ran to their end on the backend (none cut by the client)…
      await until('8 chat requests', async () => backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length === 8, 90_000);
      // …and every panel the page still holds a live document for is done, with one session's text only.
      // (Background webviews may be unloaded by the workbench; at least 6 of 8 are read.)
      let last: PanelRead[] = [];
      const panels = await until('the sessions to finish', async () => {
        const all = (last = (await evalInAllWebviews<PanelRead>(read)).filter((p) => p.question.startsWith('Question')));
        return all.length >= 6 && all.every((p) => p.status === 'done') && all;
      }, 90_000).catch((e: Error) => {
        throw new Error(`${e.message}; panels seen: ${last.map((p) => `${p.question}=${p.status}`).join(', ')}`);
      });
      const seen = panels.map((p) => {
        const sessions = [...new Set([...(p.thought + p.answer).matchAll(/[Ss]ession (\d)/g)].map((m) => Number(m[1])))];
        assert.equal(sessions.length, 1, `panel "${p.question}" mixes sessions ${sessions.join(', ')}`);
        assert.match(p.answer, new RegExp(`${100 + sessions[0]}`), 'its answer is its own session\'s');
        return sessions[0];
      });
      assert.equal(new Set(seen).size, seen.length, 'no answer went to two panels');
    } finally {
      clearInterval(sampler);
    }
    assert.equal(backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length, 8);
    assert.equal(backend.closedConnections, closedBefore, 'no stream was cut by the client');
    assert.ok(maxLag < 500, `the extension host stayed responsive (worst event-loop lag ${maxLag.toFixed(0)} ms)`);
    console.log(`8 sessions, cap 3: worst extension-host event-loop lag ${maxLag.toFixed(0)} ms`);
  });
});
