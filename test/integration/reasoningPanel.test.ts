// The reasoning flow in a real VS Code: command → language server → fake vLLM → webview.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';
import { click, evalInWebview, press, screenshot, type as typeText } from './uiBridge';
import { TRIANGLE_TRANSCRIPT } from './transcript';
import { until } from './waitUntil';

const extensionRoot = path.resolve(__dirname, '..', '..', '..');
const sample = vscode.Uri.file(path.join(extensionRoot, 'media', 'samples', 'right-triangle.png'));

/** What the panel shows, read through the accessible structure (the same contract screen readers use). */
interface PanelState {
  closed: Array<{ index: string; phase: string; kind: string; reflection: string | null; label: string }>;
  open: number;
  current: string | null;
  answer: string;
  alert: string;
  stats: string;
}
const readPanel = () => evalInWebview<PanelState>(`(() => {
  const segs = [...document.querySelectorAll('ol li[data-index]')];
  const closed = segs.filter((li) => li.dataset.open !== 'true').map((li) => ({
    index: li.dataset.index, phase: li.dataset.phase, kind: li.dataset.kind,
    reflection: li.dataset.reflection ?? null, label: li.getAttribute('aria-label'),
  }));
  const answer = document.querySelector('[data-role="answer"]');
  const alerts = [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent).join(' ');
  return {
    closed, open: segs.length - closed.length,
    current: document.querySelector('[aria-current="step"]')?.getAttribute('aria-label') ?? null,
    answer: answer && !answer.hidden ? answer.textContent : '',
    alert: alerts.trim(),
    stats: document.querySelector('[aria-live="polite"]')?.textContent ?? '',
  };
})()`);

suite('reasoning panel', () => {
  let backend: FakeBackend;

  suiteSetup(async () => {
    backend = await startFakeBackend({ kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 6, delayMs: 12 });
    await vscode.workspace.getConfiguration('virgo').update('backendUrl', backend.url, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await backend?.close();
  });

  test('the command on a sample image streams steps, reflections and the answer into the panel', async () => {
    backend.requests.length = 0;
    void vscode.commands.executeCommand('virgo.reasonAboutImage', sample);
    // Compose state first: the image, its sent size and token cost, before anything is sent.
    const compose = await until('the compose view', () =>
      evalInWebview<string>(`document.querySelector('.compose')?.textContent ?? ''`).then((t) => t.includes('391 visual tokens') && t));
    assert.match(compose, /644×476 sent/);
    assert.equal(backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length, 0, 'nothing sent before asking');

    await click('#virgo-question', { inWebview: true });
    await typeText('What is the length of AB?', { inWebview: true });
    await press('Enter', { inWebview: true });

    await until('a few closed segments', async () => (await readPanel()).closed.length >= 4);
    await screenshot('panel-mid-stream');
    const end = await until('the answer', async () => { const s = await readPanel(); return s.answer.includes('5') && s; }, 30_000);
    await screenshot('panel-end');

    assert.equal(end.closed.length, 11);
    assert.deepEqual(end.closed.map((s) => s.index), end.closed.map((_, i) => String(i)));
    assert.deepEqual(
      end.closed.filter((s) => s.kind === 'reflection').map((s) => [s.reflection, s.label]),
      [['backtrack', 'Reflection 1, backtrack'], ['verify', 'Reflection 2, verify'], ['alternative', 'Reflection 3, alternative'], ['backtrack', 'Reflection 4, backtrack']],
    );
    assert.equal(end.closed[0].label, 'Step 1');
    assert.equal(end.closed.at(-1)!.phase, 'solution');
    assert.equal(end.open, 0);

    const chat = backend.requests.find((r) => r.path.endsWith('/chat/completions'))!;
    const body = chat.body as { messages: Array<{ content: unknown }>; temperature: number; top_k: number };
    assert.match(JSON.stringify(body.messages[1].content), /What is the length of AB\?/);
    assert.equal(body.temperature, 0);
    assert.equal(body.top_k, 1);
  });

  test('keyboard stepping moves the highlight between steps and reflections', async () => {
    await press('g', { inWebview: true });
    assert.equal((await readPanel()).current, 'Step 1');
    await press('j', { inWebview: true });
    assert.equal((await readPanel()).current, 'Step 2');
    await press('n', { inWebview: true });
    assert.equal((await readPanel()).current, 'Reflection 1, backtrack');
    await press('n', { inWebview: true });
    assert.equal((await readPanel()).current, 'Reflection 2, verify');
    await press('p', { inWebview: true });
    assert.equal((await readPanel()).current, 'Reflection 1, backtrack');
    await press('k', { inWebview: true });
    assert.equal((await readPanel()).current, 'Step 3');
    await screenshot('panel-stepping');
    await press('G', { inWebview: true });
    assert.match((await readPanel()).current ?? '', /^Solution step/);
  });

  test('the panel follows the dark, light and high-contrast themes', async () => {
    const workbench = vscode.workspace.getConfiguration('workbench');
    const themes: Array<[string, string]> = [['Default Dark Modern', 'vscode-dark'], ['Default Light Modern', 'vscode-light'], ['Default High Contrast', 'vscode-high-contrast']];
    try {
      for (const [theme, bodyClass] of themes) {
        await workbench.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
        await until(`the ${theme} theme in the webview`, () => evalInWebview<boolean>(`document.body.classList.contains('${bodyClass}')`));
        const colors = await evalInWebview<{ fg: string; bg: string }>(`(() => {
          const cs = getComputedStyle(document.body);
          return { fg: cs.color, bg: cs.backgroundColor };
        })()`);
        assert.notEqual(colors.fg, colors.bg, 'text and background differ');
        await screenshot(`panel-${bodyClass}`);
      }
    } finally {
      await workbench.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('an image pasted into the panel is prepared by the server and shown before anything is sent', async () => {
    const chatsBefore = backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
    // A screenshot on the clipboard: a 900×300 canvas pasted as an image/png file.
    await evalInWebview(`(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 900; canvas.height = 300;
      const g = canvas.getContext('2d');
      g.fillStyle = '#fff'; g.fillRect(0, 0, 900, 300);
      g.strokeStyle = '#000'; g.lineWidth = 4; g.strokeRect(50, 50, 800, 200);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
      const data = new DataTransfer();
      data.items.add(new File([blob], 'clipboard.png', { type: 'image/png' }));
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
      return true;
    })()`);
    // smart_resize(300, 900) = 308×896 → 11 × 32 = 352 visual tokens.
    const text = await until('the pasted image in the compose view', () =>
      evalInWebview<string>(`document.querySelector('.compose')?.textContent ?? ''`).then((t) => t.includes('896×308 sent') && t));
    assert.match(text, /352 visual tokens/);
    await screenshot('panel-pasted-image');
    assert.equal(backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length, chatsBefore, 'nothing sent by a paste');
  });

  test('Stop closes the backend connection and keeps the partial thought', async () => {
    backend.setScenario({ kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 3, delayMs: 40 });
    const closedBefore = backend.closedConnections;
    void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question: 'Stop me' });
    // The panel may be reused: wait for this session, not the thought still on screen from the last one.
    await until('the first closed segment of this session', () => evalInWebview<boolean>(
      `document.querySelector('.session__question')?.textContent === 'Stop me' && document.querySelector('[data-status]')?.dataset.status === 'thinking' && document.querySelectorAll('ol li[data-index]:not([data-open])').length >= 1`));
    await click('.session__actions button:has-text("Stop")', { inWebview: true });
    await until('the fake backend to see the connection close', async () => backend.closedConnections > closedBefore);
    const state = await until('the stopped state', async () => {
      const s = await readPanel();
      return (await evalInWebview<string>(`document.querySelector('[data-status]')?.dataset.status ?? ''`)) === 'cancelled' && s;
    });
    assert.ok(state.closed.length >= 1, 'the partial thought stays');
  });

  test('an error from the backend shows in the panel with what to do', async () => {
    backend.setScenario({ kind: 'error', status: 401, message: 'Invalid API key' });
    void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question: 'What is AB?' });
    const state = await until('the error', async () => { const s = await readPanel(); return s.alert.includes('401') && s; });
    assert.match(state.alert, /Invalid API key/);
    const actions = await evalInWebview<string[]>(`[...document.querySelectorAll('[role="alert"] button')].map((b) => b.textContent)`);
    assert.ok(actions.includes('Set API Key'), `actions: ${actions.join(', ')}`);
    await screenshot('panel-error');
  });
});
