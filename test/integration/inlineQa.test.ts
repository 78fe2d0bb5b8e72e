// Inline diagram QA in a real VS Code: the code lens above a Markdown image reference asks Virgo
// (through the language server and the fake vLLM), the answer lens and the inlay hint appear, and
// clicking the answer opens its full thought in the Virgo panel.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';
import { TRIANGLE_TRANSCRIPT } from './transcript';
import { click, evalInPage, evalInWebview, press, screenshot, type as typeText } from './uiBridge';
import { until } from './waitUntil';

const diagrams = () => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'diagrams.md');
const lensTexts = () => evalInPage<string[]>(`[...document.querySelectorAll('.monaco-editor .codelens-decoration')].map((e) => e.textContent ?? '')`);
// The editor renders spaces as no-break spaces; inlay hints are text in the line's DOM.
const editorText = () => evalInPage<string>(`(document.querySelector('.monaco-editor .view-lines')?.textContent ?? '').replace(/\\u00a0/g, ' ')`);
const chats = (b: FakeBackend) => b.requests.filter((r) => r.path.endsWith('/chat/completions'));

suite('inline diagram QA', () => {
  let backend: FakeBackend;

  suiteSetup(async () => {
    backend = await startFakeBackend({ kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 12, delayMs: 5 });
    await vscode.workspace.getConfiguration('virgo').update('backendUrl', backend.url, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('virgo').update('backendUrl', undefined, vscode.ConfigurationTarget.Global);
    await backend?.close();
  });

  test('click "Ask Virgo…" above a Markdown figure, see the answer lens and inline hint, open the thought in the panel', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(diagrams()));
    await until('the "Ask Virgo…" lens', async () => (await lensTexts()).some((t) => t.includes('Ask Virgo…')), 30_000);
    // Hovering the reference: its size and token cost, before anything is sent.
    const editor = vscode.window.activeTextEditor!;
    editor.selection = new vscode.Selection(4, 22, 4, 22);
    await vscode.commands.executeCommand('editor.action.showHover');
    const hover = await until('the hover', () => evalInPage<string>(`document.querySelector('.monaco-hover:not(.hidden)')?.textContent ?? ''`).then((t) => t.includes('visual tokens') && t));
    assert.match(hover, /640×480 px, sent as 644×476 · 391 visual tokens/);
    await screenshot('inline-qa-hover-before');
    await press('Escape');
    assert.equal(backend.requests.length, 0, 'opening, lenses and hovers send nothing to the backend');

    await click('.codelens-decoration a:has-text("Ask Virgo")');
    await until('the question prompt', () => evalInPage<boolean>(`!!document.querySelector('.quick-input-widget:not([style*="display: none"]) input')`));
    await typeText('What is the length of AB?');
    await press('Enter');
    const answer = await until('the answer lens', async () => (await lensTexts()).find((t) => t.includes('Virgo: √5')), 30_000);
    assert.match(answer, /Ask Virgo….*Virgo: √5 · \d[\d,]* tokens · \d+(\.\d)? s/);
    const chat = chats(backend);
    assert.equal(chat.length, 1);
    assert.match(JSON.stringify((chat[0].body as { messages: unknown[] }).messages[1]), /What is the length of AB\?/);
    await until('the inlay hint', async () => (await editorText()).includes('Virgo: √5'));
    await screenshot('inline-qa-answer-lens');
    await vscode.commands.executeCommand('editor.action.showHover');
    const answered = await until('the hover with the answer', () => evalInPage<string>(`document.querySelector('.monaco-hover:not(.hidden)')?.textContent ?? ''`).then((t) => t.includes('Last question') && t));
    assert.match(answered, /Last question: What is the length of AB\?.*Answer: √5/);
    assert.match(answered, /Open the reasoning.*Ask again…/);
    // Trusted command links (only Virgo's two commands are enabled in hovers).
    const links = await evalInPage<string[]>(`[...document.querySelectorAll('.monaco-hover:not(.hidden) a')].map((a) => a.getAttribute('data-href') ?? a.getAttribute('href') ?? '')`);
    assert.ok(links.some((l) => l.startsWith('command:virgo.openThought?')), `links: ${links.join(', ')}`);
    await screenshot('inline-qa-hover-answered');
    await press('Escape');

    await click('.codelens-decoration a:has-text("Virgo: √5")');
    const isPanel = (t: vscode.Tab) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('virgo.reasoning');
    await until('the Virgo panel', async () => vscode.window.tabGroups.all.some((g) => g.tabs.some(isPanel)));
    const panel = await until('the stored thought in the panel', () => evalInWebview<{ segments: number; answer: string; question: string }>(`(() => {
      const answer = document.querySelector('[data-role="answer"]');
      return {
        segments: document.querySelectorAll('ol li[data-index]').length,
        answer: answer && !answer.hidden ? answer.textContent : '',
        question: document.body.textContent.includes('What is the length of AB?') ? 'shown' : '',
      };
    })()`).then((s) => s.segments >= 11 && s.answer !== "" && s));
    assert.equal(panel.segments, 11);
    assert.match(panel.answer, /5/);
    assert.equal(panel.question, 'shown');
    await screenshot('inline-qa-panel');
    assert.equal(chats(backend).length, 1, 'opening the stored thought sends nothing');
  });

  test('a Jupyter notebook opened as a notebook: its Markdown cell gets lenses, the attachment is read from the saved file', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const file = vscode.Uri.joinPath(folder, 'inline-qa-probe.ipynb');
    const png = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'figure.png'))).toString('base64');
    const notebook = {
      cells: [{ cell_type: 'markdown', metadata: {}, source: ['![sketch](attachment:sketch.png)\n', '![](figure.png)'], attachments: { 'sketch.png': { 'image/png': png } } }],
      metadata: {}, nbformat: 4, nbformat_minor: 5,
    };
    await vscode.workspace.fs.writeFile(file, Buffer.from(JSON.stringify(notebook)));
    try {
      const nb = await vscode.workspace.openNotebookDocument(file);
      await vscode.window.showNotebookDocument(nb);
      await vscode.commands.executeCommand('notebook.cell.edit');
      const cell = nb.cellAt(0).document;
      const lenses = await until('the cell\'s lenses', async () => {
        const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', cell.uri);
        return found && found.length >= 2 && found;
      });
      const titles = lenses.map((l) => [l.range.start.line, l.command?.title]);
      assert.deepEqual(titles.slice(0, 2), [[0, 'Ask Virgo…'], [1, 'Ask Virgo…']]);
      // figure.png was answered from diagrams.md above: the answer shows wherever the image is referenced.
      assert.match(String(titles[2]?.[1]), /^Virgo: √5/);
      const [hover] = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', cell.uri, new vscode.Position(0, 3));
      assert.match((hover.contents[0] as vscode.MarkdownString).value, /`sketch\.png` · 640×480 px, sent as 644×476 · 391 visual tokens/);
      await screenshot('inline-qa-notebook');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(file);
    }
  });
});
