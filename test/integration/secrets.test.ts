// The API key: stored through the real UI in SecretStorage, sent as a Bearer token, and never
// shown — not in the log (message traces included), the panel, errors or exports.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';
import { click, evalInPage, evalInWebview, press, screenshot, type as typeText } from './uiBridge';
import { until } from './waitUntil';

const SECRET = 'sk-virgo-TEST-9f8e7d6c5b4a';
const sample = vscode.Uri.file(path.join(path.resolve(__dirname, '..', '..', '..'), 'media', 'samples', 'right-triangle.png'));

suite('API key secrecy', () => {
  let backend: FakeBackend;

  suiteSetup(async () => {
    backend = await startFakeBackend();
    const config = vscode.workspace.getConfiguration('virgo');
    await config.update('backendUrl', backend.url, vscode.ConfigurationTarget.Global);
    // The most talkative the language client gets: every message with its params.
    await config.update('trace.server', 'verbose', vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('virgo').update('trace.server', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await backend?.close();
  });

  test('the key is used as a Bearer token and never appears in the log, the panel, errors or exports', async () => {
    await vscode.extensions.getExtension('virgo-vscode.virgo-vscode')!.activate();
    // Make the Virgo log record message traces (with params), through the real UI ("Developer: Set Log Level…").
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    void vscode.commands.executeCommand('workbench.action.setLogLevel');
    await until('the quick input to have focus', () => evalInPage<boolean>(`!!document.activeElement?.closest('.quick-input-widget')`));
    await new Promise((r) => setTimeout(r, 500));
    await screenshot('log-level-picker');
    await until('the log picker', () => evalInPage<boolean>(`[...document.querySelectorAll('.quick-input-list .monaco-list-row')].some((r) => /^Virgo/.test(r.getAttribute('aria-label') ?? r.textContent))`));
    await typeText('Virgo');
    await press('Enter');
    await until('the levels', () => evalInPage<boolean>(`[...document.querySelectorAll('.quick-input-list .monaco-list-row')].some((r) => r.textContent.includes('Trace'))`));
    await typeText('Trace');
    await press('Enter');
    void vscode.commands.executeCommand('virgo.setApiKey');
    await until('the API key input, focused', () => evalInPage<boolean>(`document.activeElement?.matches('.quick-input-widget input[type="password"]') ?? false`));
    await typeText(SECRET);
    await press('Enter');

    // A server that echoes the key back in its error.
    backend.setScenario({ kind: 'error', status: 401, message: `Invalid API key ${SECRET}` });
    void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question: 'What is AB?' });
    const alert = await until('the 401 in the panel', () =>
      evalInWebview<string>(`[...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent).join(' ')`).then((t) => t.includes('401') && t));
    assert.ok(!alert.includes(SECRET), `the panel shows the key: ${alert}`);
    assert.match(alert, /\[redacted\]/);
    const chat = backend.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!;
    assert.equal(chat.headers.authorization, `Bearer ${SECRET}`);

    backend.setScenario({ kind: 'stream', content: `<|begin_of_thought|>\n\nThe key ${SECRET} is not mine to print.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n\\boxed{4}\n\n<|end_of_solution|>`, chunkChars: 9 });
    await click('.session__actions button:has-text("Retry"), .notice button:has-text("Retry")', { inWebview: true });
    await until('the answer', () => evalInWebview<boolean>(`document.querySelector('[data-status]')?.dataset.status === 'done'`));
    await click('button:has-text("Copy thought as Markdown")', { inWebview: true });
    const exported = await until('the exported thought', async () => { const t = await vscode.env.clipboard.readText(); return t.includes('## Thought') && t; });
    assert.match(exported, /\\boxed\{4\}|Answer/);

    const api = vscode.extensions.getExtension<{ logUri: vscode.Uri }>('virgo-vscode.virgo-vscode')!.exports;
    const logs = fs.readdirSync(api.logUri.fsPath).filter((f) => f.endsWith('.log'));
    assert.ok(logs.length > 0, `no log file in ${api.logUri.fsPath}`);
    const text = logs.map((f) => fs.readFileSync(path.join(api.logUri.fsPath, f), 'utf8')).join('\n');
    assert.match(text, /session ended/, 'the log is being written');
    assert.match(text, /virgo\/reason/, 'message traces are in the log');
    assert.ok(!text.includes(SECRET), 'the key is not in the log');
    // The model's own text is the model's: what we guarantee is that we never print the key ourselves.
    assert.ok(!alert.includes(SECRET));
  });
});
