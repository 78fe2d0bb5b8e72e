import * as vscode from 'vscode';
import { readSettings, type ApiKeyStore } from './config';
import { backendLabel } from './reasoningPanel';
import type { VirgoServer } from './virgoServer';

type Health = { state: 'unknown' } | { state: 'checking' } | { state: 'ok'; models: string[] } | { state: 'down'; error: string };

/**
 * The backend and model in the status bar, with whether it answered the last check. Checked
 * when the panel is used and on demand, never polled.
 */
export class BackendStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('virgo.backend', vscode.StatusBarAlignment.Right, 100);
  private health: Health = { state: 'unknown' };

  constructor(
    private readonly server: VirgoServer,
    private readonly apiKeys: ApiKeyStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.item.name = 'Virgo Backend';
    this.item.command = 'virgo.checkBackend';
    this.render();
  }

  show(): void { this.item.show(); }

  /** Settings changed: what we knew is stale. */
  reset(): void {
    this.health = { state: 'unknown' };
    this.render();
  }

  async check(): Promise<Health> {
    this.health = { state: 'checking' };
    this.render();
    this.item.show();
    const s = readSettings();
    const result = await this.server.checkBackend({ ...s, apiKey: await this.apiKeys.get() });
    this.health = result.ok ? { state: 'ok', models: result.models } : { state: 'down', error: result.error ?? 'unreachable' };
    this.log.info(`backend ${s.backendUrl}: ${result.ok ? `ok, models ${result.models.join(', ')}` : `down: ${result.error}`}`);
    this.render();
    return this.health;
  }

  private render(): void {
    const s = readSettings();
    const model = s.model || (this.health.state === 'ok' ? this.health.models[0] ?? '' : '');
    const label = backendLabel(s.backendUrl, model);
    const icon = { unknown: '$(circle-outline)', checking: '$(sync~spin)', ok: '$(pass-filled)', down: '$(error)' }[this.health.state];
    this.item.text = `${icon} Virgo`;
    this.item.backgroundColor = this.health.state === 'down' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const status = {
      unknown: 'not checked yet',
      checking: 'checking…',
      ok: 'reachable',
      down: `unreachable: ${this.health.state === 'down' ? this.health.error : ''}`,
    }[this.health.state];
    this.item.tooltip = `Virgo backend: ${label} — ${status}\nClick to check again.`;
  }

  dispose(): void { this.item.dispose(); }
}
