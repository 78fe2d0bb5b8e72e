// The extension loads in a real extension host, and the harness can see the workbench.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { screenshot } from './uiBridge';

const extensionId = 'virgo-vscode.virgo-vscode';

suite('smoke', () => {
  test('the extension is present and activates', async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} is not loaded`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('its commands are registered', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('virgo.reasonAboutImage'), 'virgo.reasonAboutImage is not registered');
  });

  test('the UI bridge takes a screenshot of the workbench', async () => {
    const file = await screenshot('smoke-workbench');
    assert.ok(fs.existsSync(file), `${file} was not written`);
    assert.ok(fs.statSync(file).size > 1024, `${file} is suspiciously small`);
  });
});
