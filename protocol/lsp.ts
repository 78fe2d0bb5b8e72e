import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { CompareSamplesParams, CompareSamplesResult } from './compare';
import type {
  ExportHistoryParams, ExportHistoryResult, HistoryChanged, HistoryOptions, HistorySession, HistorySummary, ListHistoryParams,
} from './history';
import type { OpenThoughtArgs, StoredThought } from './inlineQa';
import type { Recording } from './recording';
import type { BackendSettings } from './settings';
import type { EndReason, PreparedImageInfo, ReasonEvent } from './thought';
import type { OpenSegmentView } from './webviewMessages';

/** Where an image comes from: a file the server can read, or bytes pasted into the panel. */
export type ImageSource = { path: string } | { name: string; dataBase64: string };

export interface PrepareImageParams { source: ImageSource; maxPixels?: number }
export interface PrepareImageResult {
  /** Handle for `reason`: the prepared bytes stay in the server. */
  imageId: string;
  name: string;
  info: PreparedImageInfo;
  /** A small PNG for the panel, base64. */
  thumbnailBase64: string;
}
/** ResponseError code of a refused image; the message is the one to show. */
export const IMAGE_REFUSED = -32001;

export interface ReasonParams {
  sessionId: string;
  imageId: string;
  question: string;
  settings: BackendSettings;
  /** From SecretStorage; never logged. */
  apiKey?: string;
}
export interface ContinueParams {
  sessionId: string;
  settings: BackendSettings;
  apiKey?: string;
}

export interface ReasonResult {
  reason: EndReason;
  /** The session stopped early and `continueSession` can carry it on. */
  canContinue?: boolean;
  error?: string;
  /** The backend error's kind ('http', 'connection', 'idle', …) and HTTP status, to offer the right fix. */
  errorKind?: string;
  status?: number;
}

export type CheckBackendParams = BackendSettings & { apiKey?: string };
export interface CheckBackendResult { ok: boolean; models: string[]; error?: string }

export type SessionUpdate =
  | { sessionId: string; kind: 'event'; event: ReasonEvent }
  | { sessionId: string; kind: 'progress'; open: OpenSegmentView | null; chunks: number }
  | { sessionId: string; kind: 'retrying'; attempt: number; delayMs: number; reason: string }
  /** Waiting for a free slot (virgo.maxConcurrentSessions); `ahead` sessions go first. */
  | { sessionId: string; kind: 'queued'; ahead: number };

/** extension → server: check and size an image (a refusal is an IMAGE_REFUSED error with the message to show). */
export const prepareImage = new RequestType<PrepareImageParams, PrepareImageResult, void>('virgo/prepareImage');
/** extension → server: run one reasoning session; resolves when it ends (updates stream as notifications). */
export const reason = new RequestType<ReasonParams, ReasonResult, void>('virgo/reason');
/** extension → server: continue an interrupted session (drop, stop or max tokens); updates as for reason. */
export const continueSession = new RequestType<ContinueParams, ReasonResult, void>('virgo/continueSession');
/** extension → server: is the backend reachable, and which models does it serve? */
export const checkBackend = new RequestType<CheckBackendParams, CheckBackendResult, void>('virgo/checkBackend');
/** extension → server: the recording of a session (request, image info, every chunk with its time), or null when forgotten. */
export const getRecording = new RequestType<{ sessionId: string }, Recording | null, void>('virgo/getRecording');
/** extension → server: write a session's recording to a file, atomically; the number of events, or null when forgotten. */
export const saveRecording = new RequestType<{ sessionId: string; path: string }, { events: number } | null, void>('virgo/saveRecording');
/** extension → server: stop a session (closes the backend request). */
export const cancelSession = new NotificationType<{ sessionId: string }>('virgo/cancelSession');
/** server → extension: a session's events and live progress. */
export const sessionUpdate = new NotificationType<SessionUpdate>('virgo/sessionUpdate');

/** extension → server: a stored inline answer in full (its thought, for the panel), or null when unknown. */
export const storedThought = new RequestType<OpenThoughtArgs, StoredThought | null, void>('virgo/storedThought');
/** extension → server: the workspace's trust changed (inline QA is read-only while untrusted). */
export const workspaceTrust = new NotificationType<{ trusted: boolean }>('virgo/workspaceTrust');

/** One replica (base URL) of the active backend, as the server's pool sees it. */
export interface ReplicaStatus {
  /** The base URL, without any user:password@. */
  url: string;
  /** Sessions may go there; false after a failure before streaming or a failed probe, until a probe succeeds. */
  healthy: boolean;
  /** Requests of this language server running there now (every session and window it serves). */
  inFlight: number;
  lastError?: string;
  /** What its /models listed at the last look (empty when never read). */
  models: Array<{ id: string; maxModelLen?: number }>;
  /** A replica that is down: when (ms since the epoch) it is probed again. */
  retryAt?: number;
}
export interface BackendStatusResult {
  /** The named backend (virgo.backends), '' for plain virgo.backendUrl. */
  backendName: string;
  replicas: ReplicaStatus[];
}
export type BackendStatusParams = CheckBackendParams & {
  /** Probe every replica now (GET /health, then /models) before answering; false: what sessions last saw. Default true. */
  probe?: boolean;
};

/** Something to tell the user about a running session that is not a reasoning event. */
export type SessionNoticeBody =
  /** max_tokens was lowered so that prompt + answer fit the model's context (max_model_len). */
  | { kind: 'maxTokensCapped'; requested: number; maxTokens: number; maxModelLen: number; promptTokens: number }
  /** A replica failed before streaming (refused, unreachable, 502/503, busy): the session moved to another. */
  | { kind: 'failover'; from: string; to: string; reason: string };
export type SessionNotice = SessionNoticeBody & { sessionId: string };

/** The pool's view as Check Backend reports it: the models of the replicas that answered; what failed elsewhere. */
export function summarizeBackendStatus(status: BackendStatusResult): CheckBackendResult {
  const answered = status.replicas.filter((r) => r.healthy && !r.lastError);
  const models = [...new Set(answered.flatMap((r) => r.models.map((m) => m.id)))];
  const failed = status.replicas.filter((r) => !r.healthy || r.lastError);
  if (status.replicas.length === 1) return failed.length ? { ok: false, models, error: failed[0].lastError ?? 'unreachable' } : { ok: true, models };
  const failures = failed.map((r) => `${r.url}: ${r.lastError ?? 'unreachable'}`).join('; ');
  if (answered.length === 0) return { ok: false, models, error: `No replica answered. ${failures}` };
  return failed.length ? { ok: true, models, error: `${answered.length} of ${status.replicas.length} replicas answered. ${failures}` } : { ok: true, models };
}

/** extension → server: the active backend's replicas (health, requests in flight, models), for the status bar. */
export const backendStatus = new RequestType<BackendStatusParams, BackendStatusResult, void>('virgo/backendStatus');
/** server → extension: a session's max_tokens was capped to fit the context, or it moved to another replica. */
export const sessionNotice = new NotificationType<SessionNotice>('virgo/sessionNotice');

/** extension → server: kept sessions, newest first, optionally filtered by a case-insensitive query over question and answer. */
export const listHistory = new RequestType<ListHistoryParams, HistorySummary[], void>('virgo/listHistory');
/** extension → server: a kept session in full (summary, segments and answer rebuilt from its recording, thumbnail), or null when unknown. */
export const getHistorySession = new RequestType<{ id: string }, HistorySession | null, void>('virgo/getHistorySession');
/** extension → server: forget a kept session and its files; false when it was not kept. */
export const deleteHistorySession = new RequestType<{ id: string }, boolean, void>('virgo/deleteHistorySession');
/** extension → server: write a kept session as Markdown or as its recording (JSON), atomically; null when unknown. */
export const exportHistorySession = new RequestType<ExportHistoryParams, ExportHistoryResult | null, void>('virgo/exportHistorySession');
/** extension → server: the `virgo.history.*` settings changed (initial values come in initializationOptions.history). */
export const setHistoryOptions = new NotificationType<HistoryOptions>('virgo/setHistoryOptions');
/** server → extension: history entries were added, updated (a continued session) or removed (deleted or pruned). */
export const historyChanged = new NotificationType<HistoryChanged>('virgo/historyChanged');

/** extension → server: how N sampled traces of one question agree (answer groups, majority) and where they diverge. */
export const compareSamples = new RequestType<CompareSamplesParams, CompareSamplesResult, void>('virgo/compareSamples');
