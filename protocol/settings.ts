/** The `virgo.*` settings as the server needs them (package.json's contributes.configuration is the user-facing truth). */
export interface BackendSettings {
  /** The backend's (first) base URL, e.g. http://127.0.0.1:8000/v1. */
  backendUrl: string;
  /**
   * Every replica's base URL of the active backend, backendUrl among them. More than one: each
   * session goes to the healthy replica with the fewest sessions in flight. Absent: backendUrl only.
   */
  replicas?: string[];
  /** The active named backend (a `virgo.backends` entry's name); absent or '' for plain `virgo.backendUrl`. */
  backendName?: string;
  /** Empty: the first model the backend lists. */
  model: string;
  maxTokens: number;
  temperature: number;
  maxPixels: number;
  /** Empty string: send the bare question. */
  promptPrefix: string;
  idleTimeoutMs: number;
  /** A PEM file of extra CAs to trust for an https backend; empty: the system's roots only. */
  caCertificatePath: string;
  /** Sessions streaming at once; more wait in a queue. */
  maxConcurrentSessions?: number;
}

/** A usable entry of `virgo.backends`: a name and at least one URL (trimmed, duplicates dropped). */
export interface NamedBackend {
  name: string;
  urls: string[];
  /** Empty: `virgo.model`, else the first model the backend lists. */
  model: string;
}

/**
 * `virgo.backends` as written (entries with `url` or `urls`), malformed entries (no name, no URL)
 * left out. The extension and the language server both read the setting through this.
 */
export function namedBackendsFrom(raw: unknown): NamedBackend[] {
  if (!Array.isArray(raw)) return [];
  const out: NamedBackend[] = [];
  for (const e of raw as Array<Record<string, unknown> | null>) {
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || !e.name.trim()) continue;
    const list = [...(Array.isArray(e.urls) ? e.urls : []), e.url];
    const urls = [...new Set(list.filter((u): u is string => typeof u === 'string').map((u) => u.trim()).filter(Boolean))];
    if (urls.length === 0) continue;
    out.push({ name: e.name.trim(), urls, model: typeof e.model === 'string' ? e.model.trim() : '' });
  }
  return out;
}

/** The `virgo.backends` entry `virgo.activeBackend` names, if it names a usable one. */
export function activeNamedBackend(activeBackend: unknown, backends: unknown): NamedBackend | undefined {
  const name = typeof activeBackend === 'string' ? activeBackend.trim() : '';
  return name ? namedBackendsFrom(backends).find((b) => b.name === name) : undefined;
}
