// The ways an image gets into Virgo, driven through the real workbench UI.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { click, evalInPage, evalInWebview, press, screenshot } from './uiBridge';
import { until } from './waitUntil';

const figure = () => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'figure.png');
const composeText = () => evalInWebview<string>(`document.querySelector('.compose')?.textContent ?? ''`);

/** Waits for the Virgo panel to show `name`; the image preview is a webview too, so it is closed first. */
async function panelShows(name: string): Promise<string> {
  const isPanel = (t: vscode.Tab) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('virgo.reasoning');
  await until('the Virgo panel tab', async () => vscode.window.tabGroups.all.some((g) => g.tabs.some(isPanel)));
  const preview = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputCustom);
  if (preview) await vscode.window.tabGroups.close(preview);
  return until(`the panel with ${name}`, () => composeText().then((t) => t.includes(name) && t));
}

suite('ways in', () => {
  teardown(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  test('the image preview has a "Reason about Image" button in its title bar', async () => {
    await vscode.commands.executeCommand('vscode.openWith', figure(), 'imagePreview.previewEditor');
    const selector = '.editor-actions .action-label[aria-label^="Reason about Image"]';
    await until('the title bar button', () => evalInPage<boolean>(`!!document.querySelector('${selector}')`));
    await screenshot('image-preview-title-button');
    await click(selector);
    const text = await panelShows('figure.png');
    assert.match(text, /644×476 sent · 391 visual tokens/);
  });

  test('the Explorer context menu of an image offers "Reason about Image"', async () => {
    await vscode.commands.executeCommand('workbench.view.explorer');
    const row = '.explorer-folders-view .monaco-list-row[aria-label^="figure.png"]';
    await until('figure.png in the Explorer', () => evalInPage<boolean>(`!!document.querySelector('${row}')`));
    await click(row, { button: 'right' });
    // VS Code draws menus in a shadow root: Playwright's selectors see through it.
    const entry = '.context-view .action-label:text-is("Reason about Image")';
    await screenshot('explorer-context-menu');
    await click(entry);
    await panelShows('figure.png');
  });

  test('the palette command asks for a file, starting at the active image preview', async () => {
    await vscode.commands.executeCommand('vscode.openWith', figure(), 'imagePreview.previewEditor');
    void vscode.commands.executeCommand('virgo.reasonAboutImage');
    // The (simple, web) file dialog opens on the active preview's folder with image filters.
    const dialog = await until('the file dialog', () =>
      evalInPage<string>(`document.querySelector('.quick-input-widget:not([style*="display: none"]) .quick-input-title')?.textContent ?? ''`).then((t) => t.length > 0 && t));
    assert.match(dialog, /Reason about Image/);
    await screenshot('palette-file-dialog');
    const value = await evalInPage<string>(`document.querySelector('.quick-input-widget input').value`);
    assert.match(value, /figure\.png$/, 'the dialog starts at the active image');
    await press('Enter');
    await panelShows('figure.png');
  });
});
