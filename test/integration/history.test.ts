// History in the real host: a session is kept, listed in the Virgo view, reopened in the panel
// exactly as it was (and stepped through with the keys), found by search, and deleted.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';
import { TRIANGLE_TRANSCRIPT } from './transcript';
import { click, evalInPage, evalInWebview, press, screenshot, type as typeText } from './uiBridge';
import { until } from './waitUntil';

const repo = path.resolve(__dirname, '..', '..', '..');
const sample = vscode.Uri.file(path.join(repo, 'media', 'samples', 'right-triangle.png'));
const QUESTION = 'History test: how long is AB?';

const rows = () => evalInPage<string[]>(`[...document.querySelectorAll('[id="workbench.view.extension.virgo"] .monaco-list-row, .pane[aria-label*="History"] .monaco-list-row')].filter((r) => r.offsetParent !== null).map((r) => r.getAttribute('aria-label') ?? r.textContent)`);
const panelSegments = () => evalInWebview<number>(`document.querySelectorAll('ol.thought li.segment').length`);
const current = () => evalInWebview<string | null>(`document.querySelector('li.segment[aria-current]')?.dataset.index ?? null`);

suite('History', () => {
  let backend: FakeBackend;

  suiteSetup(async () => {
    await vscode.extensions.getExtension('virgo-vscode.virgo-vscode')!.activate();
    backend = await startFakeBackend({ kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 40 });
    await vscode.workspace.getConfiguration('virgo').update('backendUrl', backend.url, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await backend?.close();
  });

  test('a session is kept, reopened from the History view as it was, stepped through, searched and deleted', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question: QUESTION });
    await until('the live session to finish', () => evalInWebview<boolean>(`document.querySelector('[data-status]')?.dataset.status === 'done'`), 30_000);
    const live = await panelSegments();
    const liveAnswer = await evalInWebview<string>(`document.querySelector('[data-role="answer"]')?.textContent ?? ''`);
    assert.ok(live > 5, `the live thought has segments (${live})`);

    await vscode.commands.executeCommand('workbench.view.extension.virgo');
    const listed = await until('the session in the History view', async () => (await rows()).find((r) => r.includes(QUESTION)));
    assert.match(listed, /√5/, `the row shows the boxed answer as text, not LaTeX: ${listed}`);
    await screenshot('history-view');

    // Reopen: from the view, into a fresh panel, nothing sent.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const chatsBefore = backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
    await click(`.monaco-list-row[aria-label*="${QUESTION}"]`);
    await until('the reopened session in the panel', async () => (await panelSegments()) === live, 20_000);
    assert.equal(backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length, chatsBefore, 'reopening sends nothing');
    assert.equal(await evalInWebview<string>(`document.querySelector('[data-role="answer"]')?.textContent ?? ''`), liveAnswer);
    assert.equal(await evalInWebview<string>(`document.querySelector('[data-status]')?.dataset.status`), 'done');

    // Step through it with the keys, as any session.
    await evalInWebview(`document.querySelector('ol.thought')?.focus?.(), true`);
    await press('g', { inWebview: true });
    await until('the first segment current', async () => (await current()) === '0');
    await press('j', { inWebview: true });
    await until('the second segment current', async () => (await current()) === '1');
    await press('n', { inWebview: true });
    const reflection = await until('a reflection current', async () => {
      const i = await current();
      return i !== null && (await evalInWebview<string | null>(`document.querySelector('li.segment[aria-current]')?.dataset.kind ?? null`)) === 'reflection' && i;
    });
    assert.ok(Number(reflection) > 1);
    await screenshot('history-reopened-stepping');

    // Search narrows the list; clearing brings everything back.
    void vscode.commands.executeCommand('virgo.history.search');
    await until('the search box', () => evalInPage<boolean>(`!!document.activeElement?.closest('.quick-input-widget')`));
    await typeText('no session says this');
    await press('Enter');
    await until('the list to empty', async () => !(await rows()).some((r) => r.includes(QUESTION)));
    await vscode.commands.executeCommand('virgo.history.clearSearch');
    await until('the session back in the list', async () => (await rows()).some((r) => r.includes(QUESTION)));

    // Delete, confirmed in a quick pick.
    await click(`.monaco-list-row[aria-label*="${QUESTION}"]`, { button: 'right' });
    await until('the context menu', () => evalInPage<boolean>(`[...document.querySelectorAll('.monaco-menu .action-label')].some((e) => e.textContent === 'Delete from History')`));
    await screenshot('history-context-menu');
    await press('Escape');
    // The selected session is what the command deletes.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await click(`.monaco-list-row[aria-label*="${QUESTION}"]`);
    await until('the panel to open it again', async () => (await panelSegments()) === live, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    void vscode.commands.executeCommand('virgo.history.delete');
    await until('the confirmation', () => evalInPage<boolean>(`(document.querySelector('.quick-input-widget')?.textContent ?? '').includes('from history?')`))
      .catch(async (e) => { await screenshot('history-delete-missing'); throw new Error(`${(e as Error).message}; quick input: ${await evalInPage<string>(`document.querySelector('.quick-input-widget')?.textContent ?? 'none'`)}`); });
    await until('the confirmation to have focus', () => evalInPage<boolean>(`!!document.activeElement?.closest('.quick-input-widget')`));
    await screenshot('history-delete-confirm');
    await press('Enter');
    await until('the session gone from the list', async () => !(await rows()).some((r) => r.includes(QUESTION)))
      .catch(async (e) => { throw new Error(`${(e as Error).message}: ${JSON.stringify(await rows())} ${await evalInPage<string>(`[...document.querySelectorAll('.monaco-list-row')].filter((r) => r.offsetParent !== null).map((r) => r.closest('[id]')?.id + '|' + r.className).join(' ; ')`)}`); });
  });
});
