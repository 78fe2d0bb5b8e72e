// The harness itself: the UI bridge reaches a webview's document, evaluates in it and types
// into it. Uses a throwaway webview so it does not depend on the extension's own panels.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { click, evalInPage, evalInWebview, press, screenshot, type } from './uiBridge';

const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bridge probe</title></head>
<body><h1 id="probe">bridge probe</h1><input id="field" autofocus>
<button id="btn" onclick="this.dataset.clicked='yes'">click me</button>
<script>window.keys = []; window.addEventListener('keydown', (e) => window.keys.push(e.key));</script>
</body></html>`;

async function poll<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < end);
  assert.fail(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
}

suite('ui bridge', () => {
  let panel: vscode.WebviewPanel | undefined;

  suiteSetup(() => {
    panel = vscode.window.createWebviewPanel('virgoBridgeProbe', 'Bridge probe', vscode.ViewColumn.One, {
      enableScripts: true,
    });
    panel.webview.html = html;
  });

  suiteTeardown(() => panel?.dispose());

  test('evaluates in the webview document', async () => {
    const text = await poll(
      'probe text',
      () => evalInWebview<string | null>(`document.getElementById('probe')?.textContent ?? null`),
      (t) => t === 'bridge probe',
    );
    assert.equal(text, 'bridge probe');
  });

  test('clicks and types into the webview', async () => {
    await click('#btn', { inWebview: true });
    assert.equal(await evalInWebview(`document.getElementById('btn').dataset.clicked`), 'yes');
    await click('#field', { inWebview: true });
    await type('hello', { inWebview: true });
    await press('Shift+Home', { inWebview: true });
    await press('Backspace', { inWebview: true });
    await type('virgo', { inWebview: true });
    await poll('input value', () => evalInWebview<string>(`document.getElementById('field').value`), (v) => v === 'virgo');
    await screenshot('ui-bridge-webview');
  });

  test('presses keys in the workbench and moves focus back into the webview', async () => {
    const paletteVisible = `!!document.querySelector('.quick-input-widget') &&
      getComputedStyle(document.querySelector('.quick-input-widget')).display !== 'none'`;
    await press('F1');
    await poll('command palette open', () => evalInPage<boolean>(paletteVisible), (v) => v);
    await press('Escape');
    await poll('command palette closed', () => evalInPage<boolean>(paletteVisible), (v) => !v);
    // Escape gives focus back to the webview; move it away so press() has to bring it back.
    await vscode.commands.executeCommand('workbench.files.action.focusFilesExplorer');
    await poll('webview blurred', () => evalInWebview<boolean>(`document.hasFocus()`), (f) => !f);
    await press('x', { inWebview: true });
    await poll('keys seen by the webview', () => evalInWebview<string[]>(`window.keys`), (k) => k.includes('x'));
  });

  test('evaluates in the workbench page', async () => {
    assert.equal(await evalInPage(`!!document.querySelector('.monaco-workbench')`), true);
  });
});
