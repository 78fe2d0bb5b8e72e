// Extension entry point: wires commands, the status bar, inline QA and the language server (started
// on first use, or when a document that can reference images is open).
import * as vscode from 'vscode';
import type { HistorySummary } from '../protocol/history';
import * as lsp from '../protocol/lsp';
import { affectsVirgo, ApiKeyStore, backendSelection } from './config';
import { chooseImage } from './imageSources';
import { historyStoragePath, HistoryView, readHistoryOptions } from './historyView';
import { inlineQaClientOptions, startForDocuments } from './inlineQaClient';
import { QuestionHistory } from './questionHistory';
import { redactingLog } from './redactingLog';
import { trySample } from './sampleSession';
import { ReasoningPanel, type PanelDeps } from './reasoningPanel';
import { sampleN } from './sampleNCommand';
import { LocalBackend } from './localBackend';
import { BackendStatus, pickBackend } from './statusBar';
import { VirgoServer } from './virgoServer';

/** What activate() returns: where the "Virgo" log is written (for support and tests). */
export interface VirgoApi { logUri: vscode.Uri }

export function activate(context: vscode.ExtensionContext): VirgoApi {
  const channel = vscode.window.createOutputChannel('Virgo', { log: true });
  const apiKeys = new ApiKeyStore(context.secrets);
  const log = redactingLog(channel, () => apiKeys.known());
  const server = new VirgoServer(context, log);
  const status = new BackendStatus(server, apiKeys, log);
  const local = new LocalBackend(server, backendSelection, log);
  const deps: PanelDeps = {
    extensionUri: context.extensionUri,
    server,
    apiKeys,
    questions: new QuestionHistory(context.globalState),
    log,
    onBackendUsed: () => status.used(),
  };
  const clientOptions = inlineQaClientOptions(context, {
    questions: deps.questions,
    // Inline QA goes where the settings say (the server does not see this window's local backend).
    apiKey: () => apiKeys.get(backendSelection.configured().name),
    log,
    openThought: async (key) => {
      const thought = await server.storedThought(key);
      if (!thought) { void vscode.window.showErrorMessage('Virgo: that answer is no longer stored. Ask again.'); return; }
      await ReasoningPanel.forNewImage(deps).showStoredThought(thought);
    },
  });
  // History lives in the server, under global storage (one list across workspaces).
  server.withClientOptions({
    ...clientOptions,
    initializationOptions: { ...clientOptions.initializationOptions, history: { storagePath: historyStoragePath(context), ...readHistoryOptions() } },
  });
  const history = new HistoryView(server, historyStoragePath(context), (session) => ReasoningPanel.forNewImage(deps).showRecorded(session));
  context.subscriptions.push(
    channel, server, status, local, backendSelection, history,
    vscode.commands.registerCommand('virgo.history.open', (s: HistorySummary) => history.openSession(s)),
    vscode.commands.registerCommand('virgo.history.delete', (s?: HistorySummary) => history.delete(s)),
    vscode.commands.registerCommand('virgo.history.exportMarkdown', (s: HistorySummary) => history.export(s, 'markdown')),
    vscode.commands.registerCommand('virgo.history.exportJson', (s: HistorySummary) => history.export(s, 'json')),
    vscode.commands.registerCommand('virgo.history.search', () => history.search()),
    vscode.commands.registerCommand('virgo.history.clearSearch', () => history.setQuery('')),
    vscode.commands.registerCommand('virgo.history.refresh', () => history.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('virgo.history')) void server.notify(lsp.setHistoryOptions, readHistoryOptions());
    }),
    backendSelection.onDidChange(() => status.reset()),
    vscode.commands.registerCommand('virgo.selectBackend', () => pickBackend(status, local, apiKeys)),
    vscode.commands.registerCommand('virgo.startLocalBackend', async () => {
      if (await local.start()) { status.show(); await status.check(); }
    }),
    vscode.commands.registerCommand('virgo.stopLocalBackend', () => local.stop()),
    vscode.commands.registerCommand('virgo.trySample', () => trySample(context, local)),
    vscode.commands.registerCommand('virgo.reasonAboutImage', async (uri?: unknown, options?: { question?: string }) => {
      const image = await chooseImage(uri);
      if (!image) return;
      if (image.scheme !== 'file') {
        void vscode.window.showErrorMessage(`Virgo: ${image.toString(true)} is not a local file. Save the image to disk first, or paste it into the Virgo panel.`);
        return;
      }
      const panel = ReasoningPanel.forNewImage(deps);
      status.show();
      await panel.showAndAsk({ path: image.fsPath }, options?.question);
    }),
    vscode.commands.registerCommand('virgo.sampleN', (arg?: unknown) => sampleN({
      ...deps, apiKey: () => apiKeys.get(), openInPanel: (session) => ReasoningPanel.forNewImage(deps).showRecorded(session),
    }, arg)),
    vscode.commands.registerCommand('virgo.setApiKey', async () => {
      await apiKeys.prompt();
      status.reset();
    }),
    vscode.commands.registerCommand('virgo.checkBackend', async () => {
      const health = await status.check();
      if (health.state === 'ok') void vscode.window.showInformationMessage(`Virgo: the backend answers; it serves ${health.models.join(', ') || 'no models'}.`);
      else if (health.state === 'down') {
        const choice = await vscode.window.showErrorMessage(`Virgo: ${health.error}`, 'Open Settings', 'Set API Key');
        if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'virgo.');
        if (choice === 'Set API Key') await vscode.commands.executeCommand('virgo.setApiKey');
      }
    }),
    vscode.commands.registerCommand('virgo.showLog', () => log.show()),
    vscode.commands.registerCommand('virgo.saveRecording', () => ReasoningPanel.current()?.saveRecording()),
    vscode.commands.registerCommand('virgo.stop', () => Promise.all(ReasoningPanel.panels().map((p) => p.stop()))),
    vscode.workspace.onDidChangeConfiguration((e) => { if (affectsVirgo(e)) status.reset(); }),
    // Inline QA: the server starts when a document that can reference images is open.
    startForDocuments(() => server.ensureStarted(), log),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server.notifyTrust(true)),
    { dispose: () => ReasoningPanel.panels().forEach((p) => p.dispose()) },
  );
  return { logUri: context.logUri };
}

export function deactivate(): void {}
