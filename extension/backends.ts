import * as vscode from 'vscode';
import { activeNamedBackend, namedBackendsFrom, type NamedBackend } from '../protocol/settings';

/** The backend sessions go to now. `name` '' is the plain `virgo.backendUrl`. */
export interface ActiveBackend {
  name: string;
  urls: string[];
  model: string;
  /** A local backend started from the editor (this window, while it runs). */
  local?: boolean;
}

const DEFAULT_URL = 'http://127.0.0.1:8000/v1';

/** `virgo.backends`, with malformed entries (no name, no URL) left out. */
export function namedBackends(): NamedBackend[] {
  return namedBackendsFrom(vscode.workspace.getConfiguration('virgo').get<unknown>('backends', []));
}

/**
 * Which backend is active: a local backend started from the editor while it runs, else the
 * `virgo.activeBackend` entry of `virgo.backends`, else `virgo.backendUrl` (+ `virgo.model`).
 */
export class BackendSelection {
  private local: ActiveBackend | undefined;
  // Plain listeners, not a vscode.EventEmitter: this object exists from module load, before activate().
  private readonly listeners = new Set<() => void>();

  onDidChange(listener: () => void): vscode.Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  /** A local backend came up (or went away: undefined). */
  setLocal(local: ActiveBackend | undefined): void {
    this.local = local;
    this.changed();
  }

  get localBackend(): ActiveBackend | undefined { return this.local; }

  active(): ActiveBackend {
    return this.local ?? this.configured();
  }

  /**
   * The backend the settings choose, ignoring a local one started in this window: what the
   * language server's inline QA reads from the same settings, so its key must be this one's.
   */
  configured(): ActiveBackend {
    const c = vscode.workspace.getConfiguration('virgo');
    const entry = activeNamedBackend(c.get<unknown>('activeBackend', ''), c.get<unknown>('backends', []));
    if (entry) return { ...entry, model: entry.model || c.get<string>('model', '').trim() };
    return plainBackend();
  }

  /** Makes a named backend ('' for virgo.backendUrl) the active one, in the user's settings. */
  async choose(name: string): Promise<void> {
    if (this.local && name !== this.local.name) this.local = undefined;
    await vscode.workspace.getConfiguration('virgo').update('activeBackend', name, vscode.ConfigurationTarget.Global);
    this.changed();
  }

  dispose(): void { this.listeners.clear(); }
}

/** The unnamed backend: `virgo.backendUrl` and `virgo.model`. */
export function plainBackend(): ActiveBackend {
  const c = vscode.workspace.getConfiguration('virgo');
  return { name: '', urls: [c.get<string>('backendUrl', DEFAULT_URL).trim() || DEFAULT_URL], model: c.get<string>('model', '').trim() };
}

/** The host:port of a base URL, for labels (the URL as typed when it does not parse). */
export function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}

/** "gpu-box:8000 · virgo-72b" for labels; replicas shown as a count. */
export function describeBackend(b: ActiveBackend, model = b.model): string {
  const replicas = b.urls.length > 1 ? ` (+${b.urls.length - 1} replica${b.urls.length > 2 ? 's' : ''})` : '';
  const name = b.name ? `${b.name}: ` : '';
  return `${name}${hostOf(b.urls[0])}${replicas}${model ? ` · ${model}` : ''}`;
}
