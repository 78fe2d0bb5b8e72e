/**
 * Session history: every finished or interrupted reasoning session, kept by the language server
 * on disk so the panel can list, search, reopen and export it. The requests and the notification
 * are declared in lsp.ts; these are their shapes.
 */
import type { Recording } from './recording';
import type { Answer, EndReason, PreparedImageInfo, ReflectionType, Segment, Usage } from './thought';

/** Entries kept when the client names no bound; the oldest go first, with their files. */
export const DEFAULT_HISTORY_MAX_ENTRIES = 500;

/** The image a session was about (its bytes are not kept; a small thumbnail is). */
export interface HistoryImage extends PreparedImageInfo {
  /** The file name, or the pasted image's name. */
  name: string;
  /** The original file's absolute path, when the image came from a file. */
  path?: string;
}

/** One history entry as listed: everything a list row or a search needs, without the thought. */
export interface HistorySummary {
  /** The session id (Continue keeps it, so a continued session stays one entry). */
  id: string;
  /** Milliseconds since the epoch: when the session was first kept, and when last continued. */
  createdAt: number;
  updatedAt: number;
  /** The question as sent (the default question when the user asked none). */
  question: string;
  /** Every `\boxed{…}` of the answer, in order. */
  boxed: string[];
  /** The start of the solution text (searched, and shown when nothing is boxed). */
  answerText: string;
  model: string;
  /** The named backend (`virgo.backends`), else the backend URL without credentials. */
  backend: string;
  /** Stream chunks (≈ tokens) of the thought phase. */
  thoughtTokens: number;
  /** Stream chunks of the whole session. */
  chunks: number;
  /** The backend's usage report, when it sent one. */
  usage: Usage | null;
  /** From the request to the last chunk (a continued session's pauses included). */
  durationMs: number;
  /** Closed segments, thought and solution. */
  segments: number;
  reflections: Record<ReflectionType, number>;
  endReason: EndReason;
  image: HistoryImage;
  hasThumbnail: boolean;
}

/** One entry in full: the thought rebuilt from its recording, as the panel showed it. */
export interface HistorySession {
  summary: HistorySummary;
  segments: Segment[];
  answer: Answer;
  /** protocol/recording.ts's format: the request without image bytes or key, and every chunk with its time. */
  recording: Recording;
  /** A small PNG (at most 160 px a side), base64; absent when none was kept. */
  thumbnailBase64?: string;
}

export interface ListHistoryParams {
  /** Case-insensitive substring of the question or the answer (boxed or solution text). */
  query?: string;
  /** At most this many, newest first; absent: all. */
  limit?: number;
}

export type HistoryExportFormat = 'markdown' | 'json';

export interface ExportHistoryParams {
  id: string;
  /** 'markdown': the thought with numbered steps and labelled reflections; 'json': the recording. */
  format: HistoryExportFormat;
  /** The file to write (atomically); its folder must exist. */
  path: string;
}

export interface ExportHistoryResult { path: string; bytes: number }

export interface HistoryChanged {
  kind: 'added' | 'updated' | 'removed';
  ids: string[];
}

/** The `virgo.history.*` settings as the server takes them (at initialization, then on change). */
export interface HistoryOptions {
  /** False: new sessions are not kept (what is kept stays listable). Default true. */
  enabled?: boolean;
  /** Default DEFAULT_HISTORY_MAX_ENTRIES. */
  maxEntries?: number;
}

/** `initializationOptions.history`, as the VS Code client sends it (other editors may send nothing). */
export interface HistoryInitOptions extends HistoryOptions {
  /** Where the history is kept; default $VIRGO_HISTORY_DIR, else $XDG_STATE_HOME/virgo-vscode/history. */
  storagePath?: string;
}
