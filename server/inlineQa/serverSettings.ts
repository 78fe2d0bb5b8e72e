/**
 * The `virgo` settings as the language server sees them for inline QA: pulled from the client
 * with workspace/configuration (VS Code answers from its settings; other editors from their LSP
 * config, e.g. Neovim's `settings = { virgo = { … } }`), over defaults that make a bare
 * `virgo-language-server --stdio` usable: $VIRGO_BACKEND_URL, else a local vLLM.
 */
import type { Connection } from 'vscode-languageserver/node';
import type { InlineQaSettings } from '../../protocol/inlineQa';
import { activeNamedBackend, type BackendSettings } from '../../protocol/settings';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../backend/backendClient';
import { VIRGO_PROMPT_PREFIX, VIRGO_SAMPLING } from '../backend/requestBuilder';
import { DEFAULT_MAX_PIXELS } from '../image/smartResize';

export interface ServerSettings {
  backend: BackendSettings;
  inlineQa: InlineQaSettings;
}

export function defaultSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  return {
    backend: {
      backendUrl: env.VIRGO_BACKEND_URL?.trim() || 'http://127.0.0.1:8000/v1',
      model: '',
      maxTokens: VIRGO_SAMPLING.max_tokens,
      temperature: VIRGO_SAMPLING.temperature,
      maxPixels: DEFAULT_MAX_PIXELS,
      promptPrefix: VIRGO_PROMPT_PREFIX,
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      caCertificatePath: '',
    },
    inlineQa: { enabled: true, inlayHints: true, allowRemoteImages: false },
  };
}

/** Merges what the client sent over the defaults, keeping only values of the right type. */
export function settingsFrom(raw: unknown, env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const s = defaultSettings(env);
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v.trim() : d);
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
  const b = s.backend;
  const q = (r.inlineQa && typeof r.inlineQa === 'object' ? r.inlineQa : {}) as Record<string, unknown>;
  const named = activeNamedBackend(r.activeBackend, r.backends);
  return {
    backend: {
      backendUrl: named?.urls[0] ?? (str(r.backendUrl, b.backendUrl) || b.backendUrl),
      ...(named ? { replicas: named.urls, backendName: named.name } : {}),
      model: named?.model || str(r.model, b.model),
      maxTokens: num(r.maxTokens, b.maxTokens),
      temperature: num(r.temperature, b.temperature),
      maxPixels: num(r.maxPixels, b.maxPixels),
      // Not trimmed: an empty prefix is a choice (send the bare question).
      promptPrefix: typeof r.promptPrefix === 'string' ? r.promptPrefix : b.promptPrefix,
      idleTimeoutMs: num(r.idleTimeoutMs, b.idleTimeoutMs),
      caCertificatePath: str(r.caCertificatePath, b.caCertificatePath),
    },
    inlineQa: {
      enabled: bool(q.enabled, s.inlineQa.enabled),
      inlayHints: bool(q.inlayHints, s.inlineQa.inlayHints),
      allowRemoteImages: bool(q.allowRemoteImages, s.inlineQa.allowRemoteImages),
    },
  };
}

/** The settings, pulled once and again after workspace/didChangeConfiguration. */
export class SettingsSource {
  private current: Promise<ServerSettings> | undefined;

  constructor(private readonly connection: Connection, private readonly canPull: boolean, private readonly initial: unknown) {}

  get(): Promise<ServerSettings> {
    this.current ??= this.pull();
    return this.current;
  }

  invalidate(): void {
    this.current = undefined;
  }

  private async pull(): Promise<ServerSettings> {
    if (!this.canPull) return settingsFrom(this.initial);
    try {
      const raw: unknown = await this.connection.workspace.getConfiguration('virgo');
      return settingsFrom(raw ?? this.initial);
    } catch {
      return settingsFrom(this.initial);
    }
  }
}
