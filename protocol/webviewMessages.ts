import type { Answer, EndReason, PreparedImageInfo, ReasonEvent, Segment, Usage } from './thought';

/** The segment still being written (the parser's open segment), for live rendering. */
export interface OpenSegmentView {
  index: number;
  phase: Segment['phase'];
  kind: Segment['kind'];
  reflection: Segment['reflection'];
  text: string;
}

/** What the panel shows of the image before anything is sent. */
export interface ImageCard {
  /** File name (or "Pasted image"). */
  name: string;
  info: PreparedImageInfo;
  /** A small PNG of the image, base64 (the webview turns it into a blob: URL; no data: URLs). */
  thumbnailBase64: string;
}

/** Something the user can do about an error, shown as a button in the panel. */
export type ErrorAction = 'continue' | 'openSettings' | 'setApiKey' | 'checkBackend' | 'retry' | 'showLog';

/** Extension → webview. */
export type HostToWebview =
  /** A new image: show it with its sent size and token cost, and ask for the question. */
  | { type: 'compose'; image: ImageCard; recentQuestions: string[]; backendLabel: string }
  /** The image could not be used; nothing was sent. */
  | { type: 'imageError'; message: string }
  /** A request is about to go out for this question (clears any previous thought). */
  | { type: 'sessionStarted'; question: string; startedAt: number }
  | { type: 'start'; event: Extract<ReasonEvent, { type: 'start' }> }
  /** Segments that closed, in order (batched by the host). */
  | { type: 'segments'; segments: Segment[] }
  /** The open segment and counters, at most once per animation frame's worth of chunks. */
  | { type: 'progress'; open: OpenSegmentView | null; chunks: number }
  | { type: 'retrying'; attempt: number; delayMs: number; reason: string }
  /** Waiting for a free session slot; `ahead` sessions go first. */
  | { type: 'queued'; ahead: number }
  /** Something worth knowing about the session that is not an error (max tokens capped, replica failover). */
  | { type: 'notice'; kind: 'info' | 'warning'; title: string; detail?: string }
  /** Continue was pressed: the same thought carries on (segments stay, new ones follow). */
  | { type: 'sessionContinued' }
  | { type: 'answer'; answer: Answer }
  | { type: 'end'; reason: EndReason; usage: Usage | null; error?: string; actions?: ErrorAction[] };

/** Webview → extension. */
export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'ask'; question: string }
  | { type: 'stop' }
  | { type: 'retry' }
  | { type: 'copy'; what: 'answer' | 'thought'; text: string }
  /** An image pasted or dropped into the panel (bytes as base64). */
  | { type: 'pasteImage'; name: string; dataBase64: string }
  | { type: 'action'; action: ErrorAction }
  /** A link in model output: the host confirms with the user and opens only http(s). */
  | { type: 'openLink'; href: string };
