import * as vscode from 'vscode';
import * as lsp from '../protocol/lsp';
import { describeBackend, hostOf, namedBackends, plainBackend, type ActiveBackend } from './backends';
import { backendSelection, readSettings, type ApiKeyStore } from './config';
import type { LocalBackend } from './localBackend';
import type { VirgoServer } from './virgoServer';

type Health =
  | { state: 'unknown' }
  | { state: 'checking' }
  | { state: 'ok'; models: string[]; replicas: lsp.ReplicaStatus[] }
  | { state: 'down'; error: string; replicas: lsp.ReplicaStatus[] };

/**
 * The active backend and model in the status bar, with whether it answered the last check (every
 * replica's health and requests in flight in the tooltip). Checked when the panel is used and on
 * demand, never polled. Clicking it opens the backend picker.
 */
export class BackendStatus implements vscode.Disposable {
  /** Made on first show: creating and rendering it cost ~half of activate() in a profile. */
  private item: vscode.StatusBarItem | undefined;
  private health: Health = { state: 'unknown' };

  constructor(
    private readonly server: VirgoServer,
    private readonly apiKeys: ApiKeyStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  show(): void {
    if (!this.item) {
      this.item = vscode.window.createStatusBarItem('virgo.backend', vscode.StatusBarAlignment.Right, 100);
      this.item.name = 'Virgo Backend';
      this.item.command = 'virgo.selectBackend';
      this.render();
    }
    this.item.show();
  }

  /** Settings or the active backend changed: what we knew is stale. */
  reset(): void {
    this.health = { state: 'unknown' };
    this.render();
  }

  /**
   * Asks the server how the backend's replicas are. `probe` sends /health and /models to each one
   * (Check Backend, the picker); without it the server answers from what sessions last saw, so
   * starting a session costs no extra requests once the backend is known to answer.
   */
  async check(probe = true): Promise<Health> {
    this.health = { state: 'checking' };
    this.show();
    this.render();
    const s = readSettings();
    const result = await this.server.request(lsp.backendStatus, { ...s, apiKey: await this.apiKeys.get(s.backendName), probe })
      .catch((e: Error): lsp.BackendStatusResult => ({ backendName: s.backendName ?? '', replicas: [{ url: hostOf(s.backendUrl), healthy: false, inFlight: 0, lastError: e.message, models: [] }] }));
    // The server's rule (Check Backend's too): up but refusing /models (a wrong key) is not ok.
    const summary = lsp.summarizeBackendStatus(result);
    const down = result.replicas.filter((r) => !r.healthy || r.lastError);
    this.health = summary.ok
      ? { state: 'ok', models: summary.models, replicas: result.replicas }
      : { state: 'down', error: summary.error ?? 'unreachable', replicas: result.replicas };
    this.log.info(`backend ${describeBackend(backendSelection.active())}: ${result.replicas.length - down.length}/${result.replicas.length} replica(s) answer`
      + (summary.models.length ? `, models ${summary.models.join(', ')}` : '') + (down.length ? `; down: ${down.map((r) => `${r.url} (${r.lastError ?? '?'})`).join(', ')}` : ''));
    this.render();
    return this.health;
  }

  /**
   * A session is starting: probe the replicas only while the backend is not known to answer;
   * once it is, the server's snapshot (what sessions saw, no requests) keeps the status current.
   */
  used(): void {
    if (this.health.state !== 'checking') void this.check(this.health.state !== 'ok');
  }

  private render(): void {
    if (!this.item) return;
    const backend = backendSelection.active();
    const model = backend.model || (this.health.state === 'ok' ? this.health.models[0] ?? '' : '');
    const icon = { unknown: '$(circle-outline)', checking: '$(sync~spin)', ok: '$(pass-filled)', down: '$(error)' }[this.health.state];
    this.item.text = `${icon} Virgo: ${backend.name || hostOf(backend.urls[0])}${model ? ` · ${model}` : ''}`;
    this.item.backgroundColor = this.health.state === 'down' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const status = {
      unknown: 'not checked yet',
      checking: 'checking…',
      ok: 'answers',
      down: `does not answer: ${this.health.state === 'down' ? this.health.error : ''}`,
    }[this.health.state];
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**Virgo backend** ${escape(describeBackend(backend, model))} — ${escape(status)}\n\n`);
    const replicas = this.health.state === 'ok' || this.health.state === 'down' ? this.health.replicas : [];
    if (replicas.length > 1) {
      for (const r of replicas) {
        tip.appendMarkdown(`- ${r.healthy && !r.lastError ? '$(pass-filled)' : '$(error)'} ${escape(r.url)} · ${r.inFlight} in flight${r.lastError ? ` · ${escape(r.lastError)}` : ''}\n`);
      }
      tip.appendMarkdown('\n');
    }
    tip.appendMarkdown('Click to choose a backend, check it, or start a local one.');
    this.item.tooltip = tip;
  }

  dispose(): void { this.item?.dispose(); }
}

type PickItem = vscode.QuickPickItem & { run?: () => unknown };

/** "Virgo: Select Backend" (the status bar's click): the backends, then what can be done with them. */
export async function pickBackend(status: BackendStatus, local: LocalBackend, apiKeys: ApiKeyStore): Promise<void> {
  const active = backendSelection.active();
  const entry = (b: ActiveBackend, detail?: string): PickItem => ({
    label: `${b.name === active.name ? '$(check) ' : ''}${b.name || 'Default'}`,
    description: b.urls.join(', '),
    detail: detail ?? (b.model ? `model ${b.model}` : 'model: the first the server lists'),
    run: async () => {
      await backendSelection.choose(b.name);
      status.reset();
      await status.check();
    },
  });
  const items: PickItem[] = [
    { label: 'Backends', kind: vscode.QuickPickItemKind.Separator },
    entry(plainBackend(), 'virgo.backendUrl'),
    ...namedBackends().map((b) => entry(b)),
    ...(backendSelection.localBackend ? [entry(backendSelection.localBackend, 'started from the editor; stops with it')] : []),
    { label: 'Actions', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(pulse) Check Backend', description: describeBackend(active), run: () => vscode.commands.executeCommand('virgo.checkBackend') },
    local.running
      ? { label: '$(debug-stop) Stop Local Backend', run: () => local.stop() }
      : { label: '$(play) Start Local Backend', description: 'vLLM, SGLang or Ollama on this machine', run: () => local.start() },
    { label: `$(key) Set API Key${active.name ? ` for ${active.name}` : ''}`, run: async () => { await apiKeys.prompt(active.name); status.reset(); } },
    { label: '$(gear) Edit Backends…', description: 'virgo.backends in settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'virgo.backends') },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: 'Virgo: Select Backend', placeHolder: `Active: ${describeBackend(active)}` });
  await choice?.run?.();
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
