import type { HostToWebview, WebviewToHost } from '../protocol/webviewMessages';

/** The object VS Code injects into webviews; declared here because the webview has no `vscode` types. */
export interface VsCodeApi<State = unknown> {
  postMessage(message: WebviewToHost): void;
  getState(): State | undefined;
  setState(state: State): State;
}

declare global {
  /** May be called only once per webview load (VS Code throws on the second call). */
  function acquireVsCodeApi<State = unknown>(): VsCodeApi<State>;
}

/** What the panel needs from the host: typed posting plus the state slot. Tests pass a fake. */
export interface HostChannel {
  post(message: WebviewToHost): void;
}

export function hostChannel(api: VsCodeApi): HostChannel {
  return { post: (message) => api.postMessage(message) };
}

/** Every host message type: a Record, so a type added to the protocol but not here fails to compile. */
const HOST_TYPES: Record<HostToWebview['type'], true> = {
  compose: true, imageError: true, sessionStarted: true, sessionContinued: true, start: true, segments: true,
  progress: true, retrying: true, queued: true, notice: true, answer: true, end: true,
};
const hostTypes: ReadonlySet<string> = new Set(Object.keys(HOST_TYPES));

/**
 * Messages arrive on `window` from anything that can postMessage to us; only objects with a known
 * `type` are treated as host messages (the host is the only sender in practice, this just keeps a
 * stray message from throwing deep inside a view).
 */
export function isHostMessage(data: unknown): data is HostToWebview {
  return typeof data === 'object' && data !== null && hostTypes.has((data as { type?: unknown }).type as string);
}
