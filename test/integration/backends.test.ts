// Backends in the real host: named backends with replicas (balancing, a dead replica skipped, health
// in the status bar), a local backend started from a machine-scoped command template through a
// task and stopped again, a missing engine binary, and machine scope enforced against a workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';
import { evalInPage, evalInWebview, screenshot } from './uiBridge';
import { until } from './waitUntil';

const repo = path.resolve(__dirname, '..', '..', '..');
const sample = vscode.Uri.file(path.join(repo, 'media', 'samples', 'right-triangle.png'));
const EXTENSION_ID = 'virgo-vscode.virgo-vscode';

function statusBarText(): Promise<string> {
  return evalInPage<string>(`[...document.querySelectorAll('.statusbar-item')].map((e) => e.textContent).find((t) => t.includes('Virgo:')) ?? ''`);
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => ok(port));
    }).on('error', fail);
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); ok(true); });
    socket.once('error', () => ok(false));
  });
}

function logText(): string {
  const api = vscode.extensions.getExtension<{ logUri: vscode.Uri }>(EXTENSION_ID)!.exports;
  return fs.readdirSync(api.logUri.fsPath).filter((f) => f.endsWith('.log'))
    .map((f) => fs.readFileSync(path.join(api.logUri.fsPath, f), 'utf8')).join('\n');
}

async function askAndWait(question: string): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question });
  await until('the session to finish', () => evalInWebview<boolean>(`document.querySelector('[data-status]')?.dataset.status === 'done'`), 30_000);
}

suite('Backends', () => {
  const config = () => vscode.workspace.getConfiguration('virgo');
  let a: FakeBackend;
  let b: FakeBackend;

  suiteSetup(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    a = await startFakeBackend(undefined, { models: [{ id: 'virgo-72b', max_model_len: 32768 }] });
    b = await startFakeBackend(undefined, { models: [{ id: 'virgo-72b', max_model_len: 32768 }] });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('virgo.stopLocalBackend');
    for (const key of ['backends', 'activeBackend', 'localBackend.command', 'localBackend.port']) {
      await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await a?.close();
    await b?.close();
  });

  test('a named backend with replicas: sessions spread over the live ones, the dead one is skipped, health in the status bar', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/v1`;
    await config().update('backends', [{ name: 'lab', urls: [a.url, dead, b.url], model: 'virgo-72b' }], vscode.ConfigurationTarget.Global);
    await config().update('activeBackend', 'lab', vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('virgo.checkBackend');
    const text = await until('the status bar to name the backend', async () => { const t = await statusBarText(); return t.includes('lab') && t; });
    assert.match(text, /Virgo: lab · virgo-72b/);
    for (const q of ['first', 'second', 'third', 'fourth']) await askAndWait(`Replica test ${q}`);
    const chats = (f: FakeBackend) => f.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
    assert.equal(chats(a) + chats(b), 4, 'every session reached a live replica');
    assert.ok(chats(a) >= 1 && chats(b) >= 1, `both live replicas were used (a ${chats(a)}, b ${chats(b)})`);
    assert.match(logText(), new RegExp(`down: ${dead.replace(/[.:/]/g, '\\$&')}`), 'the check saw the dead replica');
    await screenshot('backend-replicas-status');
  });

  test('Start Local Backend runs the machine-scoped template in a task, sees it answer, and Stop ends it', async () => {
    const port = await freePort();
    // The fake engine: `virgo replay` serves /health, /v1/models and the chat API like vLLM.
    const command = `"${process.execPath}" "${path.join(repo, 'dist', 'virgo.js')}" replay "${path.join(repo, 'media', 'samples', 'right-triangle.recording.json')}" --port \${port} --speed 50`;
    await config().update('localBackend.command', command, vscode.ConfigurationTarget.Global);
    await config().update('localBackend.port', port, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('virgo.startLocalBackend');
    assert.ok(await portOpen(port), `the engine listens; the log says:\n${logText().split('\n').filter((l) => /local backend|\[vllm\]/.test(l)).slice(-12).join('\n')}`);
    await until('the status bar to show the local backend', async () => (await statusBarText()).includes('Virgo: local'));
    assert.ok(vscode.tasks.taskExecutions.some((t) => t.task.definition.type === 'virgo'), 'it runs as a VS Code task');
    await until('its output in the Virgo log', async () => /\[vllm\] .*\S/.test(logText()));
    await askAndWait('Local backend test');
    await screenshot('local-backend-running');
    await vscode.commands.executeCommand('virgo.stopLocalBackend');
    await until('the engine to stop listening', async () => !(await portOpen(port)));
    await until('the status bar to go back to the chosen backend', async () => (await statusBarText()).includes('Virgo: lab'));
    assert.ok(!vscode.tasks.taskExecutions.some((t) => t.task.definition.type === 'virgo'), 'the task ended');
  });

  test('a missing engine binary is refused with how to install it, and nothing runs', async () => {
    await config().update('localBackend.command', 'virgo-no-such-engine serve ${model} --port ${port}', vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('virgo.startLocalBackend');
    assert.match(logText(), /"virgo-no-such-engine" not found on PATH/);
    assert.ok(!vscode.tasks.taskExecutions.some((t) => t.task.definition.type === 'virgo'));
    const toast = await until('the error notification', () =>
      evalInPage<string>(`[...document.querySelectorAll('.notification-list-item-message')].map((e) => e.textContent).find((t) => t.includes('was not found')) ?? ''`));
    assert.match(toast, /virgo-no-such-engine/);
    await screenshot('local-backend-missing-binary');
  });

  test('settings that choose what runs or where requests go are machine-scoped: a workspace cannot set them', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { scope?: string }> } } };
    const props = pkg.contributes.configuration.properties;
    for (const key of ['virgo.backendUrl', 'virgo.backends', 'virgo.activeBackend', 'virgo.caCertificatePath', ...Object.keys(props).filter((k) => k.startsWith('virgo.localBackend.'))]) {
      assert.equal(props[key]?.scope, 'machine', `${key} is machine-scoped`);
    }
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const settingsFile = path.join(folder, '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({ 'virgo.localBackend.command': 'touch /tmp/virgo-workspace-pwned', 'virgo.backendUrl': 'http://evil.example/v1' }));
    try {
      await until('VS Code to read the workspace settings', async () =>
        vscode.workspace.getConfiguration('virgo').inspect('localBackend.command')?.workspaceValue !== undefined, 10_000).catch(() => undefined);
      assert.notEqual(vscode.workspace.getConfiguration('virgo.localBackend').get('command'), 'touch /tmp/virgo-workspace-pwned');
      assert.notEqual(vscode.workspace.getConfiguration('virgo').get('backendUrl'), 'http://evil.example/v1');
    } finally {
      fs.rmSync(path.join(folder, '.vscode'), { recursive: true, force: true });
    }
  });
});
