/**
 * The language server's side of session history: keeps every session that streamed anything when
 * it ends (a continued session updates its entry), answers the history requests, and tells the
 * client when entries come and go. Where the history lives and whether it is kept come from
 * `initializationOptions.history` and then `virgo/setHistoryOptions`.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { ErrorCodes, ResponseError, type Connection, type InitializeParams } from 'vscode-languageserver/node';
import type { HistoryChanged, HistoryInitOptions, HistoryOptions } from '../../protocol/history';
import * as lsp from '../../protocol/lsp';
import type { BackendSettings } from '../../protocol/settings';
import type { EndReason } from '../../protocol/thought';
import type { PreparedImage } from '../image/imagePrep';
import type { SessionRecorder } from '../replay/sessionRecorder';
import { HistoryStore } from './historyStore';
import { hasText } from './recordingThought';

/** The thumbnail's longest side: a list row's picture, not the image. */
const THUMBNAIL_EDGE = 160;

/** Where the history goes when the client names no place: per user, like inline answers. */
export function defaultHistoryDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIRGO_HISTORY_DIR) return env.VIRGO_HISTORY_DIR;
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'virgo-vscode', 'history');
}

/** A session as it ends, as the reasoning service knows it. */
export interface EndedSession {
  sessionId: string;
  recorder: SessionRecorder;
  image: PreparedImage;
  settings: BackendSettings;
  reason: EndReason;
}

export class HistoryService {
  private enabled = true;
  private maxEntries: number | undefined;
  private dir = defaultHistoryDir();
  private opened: HistoryStore | undefined;

  constructor(private readonly connection: Connection) {}

  /** Reads `initializationOptions.history`. */
  initialize(params: InitializeParams): void {
    const o = ((params.initializationOptions ?? {}) as { history?: HistoryInitOptions }).history;
    if (!o || typeof o !== 'object') return;
    if (typeof o.storagePath === 'string' && o.storagePath) this.dir = o.storagePath;
    this.setOptions(o);
  }

  register(): void {
    const c = this.connection;
    c.onRequest(lsp.listHistory, (p) => this.store().list(p ?? {}));
    c.onRequest(lsp.getHistorySession, ({ id }) => (typeof id === 'string' ? this.store().get(id) : null));
    c.onRequest(lsp.deleteHistorySession, async ({ id }) => {
      const deleted = typeof id === 'string' && await this.store().remove(id);
      if (deleted) this.changed({ kind: 'removed', ids: [id] });
      return deleted;
    });
    c.onRequest(lsp.exportHistorySession, async (p) => {
      if (typeof p?.id !== 'string' || typeof p.path !== 'string' || !path.isAbsolute(p.path) || (p.format !== 'markdown' && p.format !== 'json')) {
        throw new ResponseError(ErrorCodes.InvalidParams, 'exportHistorySession needs an id, an absolute path and a format (markdown or json).');
      }
      try {
        return await this.store().exportTo(p);
      } catch (e) {
        const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new ResponseError(ErrorCodes.InternalError, `Could not write ${p.path} (${reason}). Choose a folder you can write to and export again.`);
      }
    });
    c.onNotification(lsp.setHistoryOptions, (o) => this.setOptions(o ?? {}));
  }

  /** Keeps the session (or updates it after Continue). Never throws: history must not fail a session. */
  async sessionEnded(s: EndedSession): Promise<void> {
    if (!this.enabled) return;
    try {
      const recording = s.recorder.toRecording();
      if (!hasText(recording)) return;
      const change = await this.store().record({
        id: s.sessionId,
        recording,
        endReason: s.reason,
        backend: backendLabel(s.settings),
        // Pasted images are prepared under a bare name; only a file has an absolute path.
        ...(path.isAbsolute(s.image.file) ? { imagePath: s.image.file } : {}),
        thumbnail: () => sharp(s.image.data)
          .resize(THUMBNAIL_EDGE, THUMBNAIL_EDGE, { fit: 'inside', withoutEnlargement: true })
          .png()
          .toBuffer(),
      });
      this.changed({ kind: change.kind, ids: [s.sessionId] });
      if (change.removed.length > 0) this.changed({ kind: 'removed', ids: change.removed });
    } catch (e) {
      this.connection.console.warn(`history: session ${s.sessionId} was not kept (${(e as Error).message})`);
    }
  }

  private setOptions(o: HistoryOptions): void {
    if (typeof o.enabled === 'boolean') this.enabled = o.enabled;
    if (typeof o.maxEntries === 'number') {
      this.maxEntries = o.maxEntries;
      this.opened?.setMaxEntries(o.maxEntries);
    }
  }

  private store(): HistoryStore {
    this.opened ??= new HistoryStore(this.dir, { maxEntries: this.maxEntries, log: (m) => this.connection.console.warn(m) });
    return this.opened;
  }

  private changed(c: HistoryChanged): void {
    void this.connection.sendNotification(lsp.historyChanged, c);
  }
}

/** The backend as a list row names it: its `virgo.backends` name, else its URL without credentials or query. */
export function backendLabel(s: Pick<BackendSettings, 'backendUrl' | 'backendName'>): string {
  if (s.backendName) return s.backendName;
  try {
    const u = new URL(s.backendUrl);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    return '';
  }
}
