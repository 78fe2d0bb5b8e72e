import * as vscode from 'vscode';
import type { BackendSettings } from '../protocol/settings';
import { BackendSelection } from './backends';

/** Which backend is active (named backends, a local one started from the editor, or virgo.backendUrl). */
export const backendSelection = new BackendSelection();

/** The `virgo.*` settings, typed; defaults live in package.json's contributes.configuration. */
export function readSettings(): BackendSettings {
  const c = vscode.workspace.getConfiguration('virgo');
  const backend = backendSelection.active();
  return {
    backendUrl: backend.urls[0],
    replicas: backend.urls,
    backendName: backend.name,
    model: backend.model,
    maxTokens: c.get<number>('maxTokens', 8192),
    temperature: c.get<number>('temperature', 0),
    maxPixels: c.get<number>('maxPixels', 12845056),
    promptPrefix: c.get<string>('promptPrefix', 'Please first think deeply about the question, and then put the final answer in \\boxed{}.'),
    idleTimeoutMs: c.get<number>('idleTimeoutMs', 120000),
    caCertificatePath: c.get<string>('caCertificatePath', '').trim(),
    maxConcurrentSessions: c.get<number>('maxConcurrentSessions', 8),
  };
}

export function affectsVirgo(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration('virgo');
}

const API_KEY_SECRET = 'virgo.apiKey';

/** SecretStorage id of a backend's key: `virgo.apiKey` for virgo.backendUrl, `virgo.apiKey.NAME` for a named one. */
export function apiKeySecretId(backendName: string): string {
  return backendName ? `${API_KEY_SECRET}.${backendName}` : API_KEY_SECRET;
}

/** The backend API keys, one per backend: only ever in SecretStorage, never in settings or logs. */
export class ApiKeyStore {
  /** Every key seen this session, so logs can take them out even after a change. */
  private readonly seen = new Set<string>();

  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The key of a backend (default: the active one). */
  async get(backendName = backendSelection.active().name): Promise<string | undefined> {
    const key = await this.secrets.get(apiKeySecretId(backendName));
    if (key) this.seen.add(key);
    return key;
  }

  known(): Iterable<string> {
    return this.seen;
  }

  /** "Virgo: Set API Key": asks for a backend's key (default: the active one); an empty answer removes it. */
  async prompt(backendName = backendSelection.active().name): Promise<void> {
    const which = backendName ? `backend "${backendName}"` : 'your Virgo backend (virgo.backendUrl)';
    const value = await vscode.window.showInputBox({
      title: backendName ? `Virgo: Set API Key for ${backendName}` : 'Virgo: Set API Key',
      prompt: `The API key of ${which} (sent as a Bearer token; stored in VS Code's secret storage). Leave empty to remove it.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    if (value.trim()) {
      this.seen.add(value.trim());
      await this.secrets.store(apiKeySecretId(backendName), value.trim());
      void vscode.window.showInformationMessage('Virgo: API key saved in secret storage.');
    } else {
      await this.secrets.delete(apiKeySecretId(backendName));
      void vscode.window.showInformationMessage('Virgo: API key removed.');
    }
  }
}
