import * as vscode from 'vscode';
import type { BackendSettings } from '../protocol/settings';

/** The `virgo.*` settings, typed; defaults live in package.json's contributes.configuration. */
export function readSettings(): BackendSettings {
  const c = vscode.workspace.getConfiguration('virgo');
  return {
    backendUrl: c.get<string>('backendUrl', 'http://127.0.0.1:8000/v1').trim(),
    model: c.get<string>('model', '').trim(),
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

/** The backend API key: only ever in SecretStorage, never in settings or logs. */
export class ApiKeyStore {
  /** Every key seen this session, so logs can take them out even after a change. */
  private readonly seen = new Set<string>();

  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(): Promise<string | undefined> {
    const key = await this.secrets.get(API_KEY_SECRET);
    if (key) this.seen.add(key);
    return key;
  }

  known(): Iterable<string> {
    return this.seen;
  }

  /** "Virgo: Set API Key": asks for the key; an empty answer removes it. */
  async prompt(): Promise<void> {
    const value = await vscode.window.showInputBox({
      title: 'Virgo: Set API Key',
      prompt: 'The API key of your Virgo backend (sent as a Bearer token; stored in VS Code\'s secret storage). Leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    if (value.trim()) {
      this.seen.add(value.trim());
      await this.secrets.store(API_KEY_SECRET, value.trim());
      void vscode.window.showInformationMessage('Virgo: API key saved in secret storage.');
    } else {
      await this.secrets.delete(API_KEY_SECRET);
      void vscode.window.showInformationMessage('Virgo: API key removed.');
    }
  }
}
