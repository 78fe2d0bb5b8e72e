import type { Segment } from '../protocol/thought';
import type { HostToWebview } from '../protocol/webviewMessages';
import type { StatsSnapshot } from './model/liveStats';

type Msg<T extends HostToWebview['type']> = Extract<HostToWebview, { type: T }>;

/** What survives the webview being hidden and re-created: the image and the last finished thought. */
export interface SavedPanel {
  version: 1;
  compose: Msg<'compose'> | null;
  /** The image arrived after the saved session ended (the user was about to ask about it). */
  composeLast: boolean;
  session: {
    started: Msg<'sessionStarted'>;
    start: Msg<'start'> | null;
    segments: Segment[];
    answer: Msg<'answer'> | null;
    end: Msg<'end'>;
    stats: StatsSnapshot;
  } | null;
}

/** A thought longer than this is not kept (VS Code serializes the state on every save). */
const MAX_SAVED_CHARS = 2_000_000;

/**
 * Records the messages needed to rebuild the panel and produces the state to save. Saving happens
 * twice per session at most (new image, end of session), never per segment: it is a JSON copy.
 */
export class SessionRecorder {
  private compose: Msg<'compose'> | null = null;
  private started: Msg<'sessionStarted'> | null = null;
  private start: Msg<'start'> | null = null;
  private segments: Segment[] = [];
  private chars = 0;
  private answer: Msg<'answer'> | null = null;
  private saved: SavedPanel['session'] = null;
  private composeLast = false;

  /** Returns true when the state worth saving changed with this message. */
  record(msg: HostToWebview, stats: () => StatsSnapshot): boolean {
    switch (msg.type) {
      case 'compose':
        this.compose = msg;
        this.composeLast = true;
        return true;
      case 'sessionStarted':
        this.started = msg;
        this.start = null;
        this.segments = [];
        this.chars = 0;
        this.answer = null;
        return false;
      case 'start':
        this.start = msg;
        return false;
      case 'segments':
        for (const s of msg.segments) {
          this.segments.push(s);
          this.chars += s.text.length;
        }
        return false;
      case 'answer':
        this.answer = msg;
        return false;
      case 'end':
        if (!this.started || this.chars > MAX_SAVED_CHARS) return false;
        this.saved = { started: this.started, start: this.start, segments: this.segments, answer: this.answer, end: msg, stats: stats() };
        this.composeLast = false;
        return true;
      default:
        return false;
    }
  }

  state(): SavedPanel {
    return { version: 1, compose: this.compose, composeLast: this.composeLast, session: this.saved };
  }
}

export function isSavedPanel(value: unknown): value is SavedPanel {
  return typeof value === 'object' && value !== null && (value as { version?: unknown }).version === 1;
}

/** The messages that rebuild a saved panel, in order. */
export function replayMessages(saved: SavedPanel): HostToWebview[] {
  const out: HostToWebview[] = [];
  const s = saved.session;
  // The image goes before the session it belongs to, or last when it is a newer one.
  if (saved.compose && (!s || !saved.composeLast)) out.push(saved.compose);
  if (s) {
    out.push(s.started);
    if (s.start) out.push(s.start);
    if (s.segments.length) out.push({ type: 'segments', segments: s.segments });
    if (s.answer) out.push(s.answer);
    out.push(s.end);
  }
  if (saved.compose && s && saved.composeLast) out.push(saved.compose);
  return out;
}
