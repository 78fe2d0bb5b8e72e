import type { Answer, EndReason, Segment } from '../protocol/thought';
import type { ErrorAction, HostToWebview, OpenSegmentView } from '../protocol/webviewMessages';
import { pngBlobUrl } from './base64';
import { h, setHidden } from './dom';
import { FrameScheduler } from './frames';
import { interceptLinks } from './render/links';
import { LiveStats, type StatsSnapshot } from './model/liveStats';
import { thoughtToMarkdown } from '../protocol/thoughtMarkdown';
import { answerToText } from './model/thoughtExport';
import { Stepping } from './stepping';
import type { HostChannel } from './vscodeApi';
import { AnswerView } from './views/answerView';
import { ComposeView } from './views/composeView';
import { ImageIntake } from './views/imageIntake';
import { NoticeView } from './views/noticeView';
import { OutlineView } from './views/outlineView';
import { SessionHeader, type SessionStatus } from './views/sessionHeader';
import { StatsView } from './views/statsView';
import { ThoughtView } from './views/thoughtView';
import { ToolbarView } from './views/toolbarView';

export interface PanelOptions {
  host: HostChannel;
  now?: () => number;
  /** requestAnimationFrame in the webview; tests pass a manual one. */
  requestFrame?: (cb: () => void) => unknown;
  /** Least time between two frames of streaming updates (default ~30 fps). */
  frameIntervalMs?: number;
  setInterval?: (cb: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

type Mode = 'compose' | 'session';

/**
 * The open segment is re-rendered (Markdown + KaTeX + sanitize of the whole paragraph) at most once
 * a frame, and no more often than this many times its last render cost apart: on a slow machine a
 * long paragraph then updates a little less often instead of eating every frame.
 */
const OPEN_RENDER_SPACING = 4;

/** Streaming text repaints at most ~30 times a second; navigation is never delayed by this. */
const FRAME_INTERVAL_MS = 32;

const END_STATUS: Record<EndReason, SessionStatus> = { stop: 'done', length: 'length', cancelled: 'cancelled', error: 'error' };

/**
 * The reasoning panel: builds the layout, routes host messages to the views, and keeps the
 * session's state (segments, answer, live/not). Everything heavy is per message and incremental:
 * closed segments are rendered once, the open one at most once per frame.
 */
export class Panel {
  readonly root: HTMLElement;
  private readonly now: () => number;
  private readonly compose: ComposeView;
  private readonly header: SessionHeader;
  private readonly statsView: StatsView;
  private readonly notices: NoticeView;
  private readonly thought = new ThoughtView();
  private readonly outline: OutlineView;
  private readonly answer: AnswerView;
  private readonly toolbar: ToolbarView;
  private readonly stepping: Stepping;
  private readonly frames: FrameScheduler;
  private readonly stats = new LiveStats();
  private readonly composePane: HTMLElement;
  private readonly sessionPane: HTMLElement;
  private readonly scroller: HTMLElement;
  private mode: Mode = 'compose';
  private chunks = 0;
  private segments: Segment[] = [];
  private finalAnswer: Answer | null = null;
  private open: OpenSegmentView | null = null;
  private openDirty = false;
  private openRenderedAt = -Infinity;
  private openRenderCost = 0;
  private live = false;
  private hasSession = false;
  private retryNotice = false;
  private sessionThumb: string | null = null;
  private timer: unknown;
  /** Removes the document-level listeners (keys, paste, drop) when the panel goes away. */
  private readonly listening = new AbortController();

  constructor(container: HTMLElement, private readonly options: PanelOptions) {
    this.now = options.now ?? (() => performance.now());
    const host = options.host;
    this.compose = new ComposeView({
      ask: (question) => host.post({ type: 'ask', question }),
      backToThought: () => this.setMode('session'),
    });
    this.header = new SessionHeader({
      stop: () => host.post({ type: 'stop' }),
      retry: () => host.post({ type: 'retry' }),
      newQuestion: () => { this.setMode('compose'); this.compose.focusQuestion(); },
      copyThought: () => this.copyThought(),
    });
    this.statsView = new StatsView(this.now);
    this.notices = new NoticeView((action) => this.onAction(action));
    this.outline = new OutlineView((index) => this.stepping.goTo(index));
    this.answer = new AnswerView({
      copyAnswer: () => { if (this.finalAnswer) host.post({ type: 'copy', what: 'answer', text: answerToText(this.finalAnswer) }); },
      copyThought: () => this.copyThought(),
    });
    this.toolbar = new ToolbarView((command) => this.stepping.command(command));
    this.scroller = h('div', { class: 'scroller' }, [this.thought.element, this.answer.element]);
    this.stepping = new Stepping(
      { scroller: this.scroller, thought: this.thought, outline: this.outline, answer: this.answer, toolbar: this.toolbar },
      () => this.live,
    );
    this.frames = new FrameScheduler(() => this.frame(), options.requestFrame, options.frameIntervalMs ?? FRAME_INTERVAL_MS, this.now);
    this.composePane = h('div', { class: 'compose-pane' }, [this.compose.element]);
    this.sessionPane = h('div', { class: 'session', attrs: { hidden: true } }, [
      this.header.element,
      h('div', { class: 'session__bar' }, [this.statsView.element, this.toolbar.element]),
      this.notices.element,
      h('div', { class: 'session__main' }, [this.scroller, this.outline.element]),
    ]);
    this.root = h('div', { class: 'app', attrs: { 'data-mode': 'compose' } }, [this.composePane, this.sessionPane]);
    const intake = new ImageIntake(
      this.root,
      (image) => host.post({ type: 'pasteImage', name: image.name, dataBase64: image.dataBase64 }),
      (message) => { this.compose.showError(message); this.setMode('compose'); },
      this.listening.signal,
    );
    this.root.append(intake.overlay);
    container.append(this.root);

    this.thought.element.addEventListener('click', (e) => {
      const gutter = (e.target as Element).closest('.segment__gutter');
      const li = gutter?.closest<HTMLElement>('li[data-index]');
      if (li && !li.dataset.open) this.stepping.goTo(Number(li.dataset.index));
    });
    interceptLinks(this.root, (href) => host.post({ type: 'openLink', href }));
    container.ownerDocument.addEventListener('keydown', (e) => this.onKey(e), { signal: this.listening.signal });
  }

  dispose(): void {
    this.listening.abort();
    this.stopTimer();
    this.root.remove();
  }

  handle(msg: HostToWebview): void {
    switch (msg.type) {
      case 'compose': {
        const url = pngBlobUrl(msg.image.thumbnailBase64);
        const replaced = this.compose.showImage(msg.image, url, msg.recentQuestions, msg.backendLabel);
        if (replaced && replaced !== this.sessionThumb) URL.revokeObjectURL(replaced);
        this.setMode('compose');
        this.compose.focusQuestion();
        break;
      }
      case 'imageError':
        this.compose.showError(msg.message);
        this.setMode('compose');
        break;
      case 'sessionStarted':
        this.beginSession(msg.question);
        break;
      case 'sessionContinued':
        this.resumeSession();
        break;
      case 'queued':
        this.notices.show('info', `Waiting for a free slot: ${msg.ahead} ${msg.ahead === 1 ? 'session' : 'sessions'} ahead`,
          'Raise virgo.maxConcurrentSessions to run more at once.');
        this.retryNotice = true; // cleared by the first progress
        break;
      case 'notice':
        this.notices.show(msg.kind, msg.title, msg.detail);
        break;
      case 'start': {
        const e = msg.event;
        this.header.setMeta([e.model, basename(e.file), `${e.sentWidth}×${e.sentHeight}`, `${e.imageTokens} visual tokens`]);
        break;
      }
      case 'segments':
        this.addSegments(msg.segments);
        break;
      case 'progress':
        this.open = msg.open;
        this.chunks = msg.chunks;
        this.openDirty = true;
        this.stats.progress(msg.chunks, msg.open?.phase ?? null, this.now());
        if (this.retryNotice) { this.notices.clear(); this.retryNotice = false; }
        if (this.live) this.header.setStatus(this.liveStatus());
        this.frames.schedule();
        break;
      case 'retrying':
        this.retryNotice = true;
        this.header.setStatus('retrying');
        this.notices.show('info', `Connection problem; retrying in ${Math.max(1, Math.round(msg.delayMs / 1000))} s (attempt ${msg.attempt})`, msg.reason);
        break;
      case 'answer': {
        // A stream cut off before any solution gives an empty answer: no card for that.
        const present = msg.answer.boxed.length > 0 || msg.answer.text.trim() !== '';
        this.finalAnswer = present ? msg.answer : null;
        if (present) this.answer.show(msg.answer);
        else this.answer.reset();
        this.stepping.setAnswer(present);
        this.frames.schedule();
        break;
      }
      case 'end':
        this.endSession(msg);
        break;
    }
  }

  /** The numbers the stats line shows now. */
  statsSnapshot(): StatsSnapshot {
    return this.stats.snapshot(this.now());
  }

  /**
   * Rebuilds a saved panel by replaying its messages. Times are not replayable (they are taken
   * when messages arrive), so the saved numbers are shown instead of recomputed ones.
   */
  restore(messages: readonly HostToWebview[], stats: StatsSnapshot | null): void {
    for (const m of messages) this.handle(m);
    this.frames.flush();
    if (stats) this.statsView.update(stats, true);
  }

  /** The once-a-second tick while live (exposed for tests with a fake clock). */
  tick(): void {
    this.statsView.update(this.stats.snapshot(this.now()));
  }

  private beginSession(question: string): void {
    this.hasSession = true;
    this.live = true;
    this.segments = [];
    this.finalAnswer = null;
    this.open = null;
    this.chunks = 0;
    this.openDirty = false;
    this.openRenderedAt = -Infinity;
    this.openRenderCost = 0;
    this.retryNotice = false;
    this.thought.reset();
    this.outline.reset();
    this.answer.reset();
    this.notices.clear();
    this.stepping.reset();
    if (this.sessionThumb && this.sessionThumb !== this.compose.imageUrl) URL.revokeObjectURL(this.sessionThumb);
    this.sessionThumb = this.compose.imageUrl;
    this.header.begin(question, this.sessionThumb, this.compose.imageName);
    this.compose.setBusy(false);
    this.stats.begin(this.now());
    this.statsView.update(this.stats.snapshot(this.now()), true);
    this.setMode('session');
    this.scroller.scrollTop = 0;
    this.startTimer();
    this.stepping.updateToolbar();
  }

  private resumeSession(): void {
    this.live = true;
    this.notices.clear();
    this.thought.unfreezeOpen();
    this.stats.resume();
    this.header.setStatus('waiting');
    this.startTimer();
    this.stepping.updateToolbar();
  }

  private addSegments(segments: readonly Segment[]): void {
    const fresh = segments.filter((s) => s.index >= this.segments.length);
    if (fresh.length === 0) return;
    this.thought.appendClosed(fresh);
    this.outline.append(fresh);
    this.stepping.add(fresh);
    this.stats.segments(fresh, this.now());
    for (const s of fresh) this.segments[s.index] = s;
    if (this.live) this.header.setStatus(this.liveStatus());
    this.frames.schedule();
  }

  private endSession(msg: Extract<HostToWebview, { type: 'end' }>): void {
    this.frames.flush();
    if (this.openDirty) this.renderOpen(); // the last words before an abrupt end
    this.live = false;
    this.open = null;
    this.thought.freezeOpen();
    this.stopTimer();
    this.stats.finish(this.now(), msg.usage);
    this.statsView.update(this.stats.snapshot(this.now()), true);
    const actions = msg.actions ?? [];
    this.header.setStatus(END_STATUS[msg.reason], {
      canAskAgain: this.compose.hasImage,
      hasAnswer: this.finalAnswer !== null,
      retryInNotice: actions.includes('retry'),
    });
    if (msg.reason === 'error') {
      this.notices.show('error', 'The request failed', msg.error ?? 'The backend returned an error.', actions);
    } else if (msg.reason === 'length') {
      this.notices.show('warning', 'The model stopped at the max tokens limit',
        'The thought was cut off before it finished, so the answer may be missing. Raise the max tokens setting or retry.', actions);
    } else if (msg.reason === 'cancelled') {
      this.notices.show('info', 'Stopped', 'The thought so far stays below.', actions);
    } else {
      this.notices.clear();
    }
    this.stepping.afterFrame();
  }

  private frame(): void {
    // All DOM writes first, then the one layout read (scrolling to the live end) last, so the
    // frame lays out once instead of once for the read and again for writes after it.
    if (this.openDirty) {
      if (this.now() - this.openRenderedAt >= this.openRenderCost * OPEN_RENDER_SPACING) this.renderOpen();
      else this.frames.schedule(); // not yet: look again next frame
    }
    this.statsView.update(this.stats.snapshot(this.now()));
    this.thought.fitOpen();
    this.stepping.afterFrame();
  }

  private renderOpen(): void {
    const started = this.now();
    this.openDirty = false;
    this.thought.showOpen(this.live ? this.open : null);
    this.openRenderedAt = started;
    this.openRenderCost = this.now() - started;
  }

  private liveStatus(): SessionStatus {
    if (this.open?.phase === 'solution' || this.segments.at(-1)?.phase === 'solution') return 'solving';
    return this.chunks > 0 || this.segments.length > 0 ? 'thinking' : 'waiting';
  }

  private onKey(e: KeyboardEvent): void {
    if (this.mode === 'compose' && e.key === 'Escape' && this.hasSession) {
      this.setMode('session');
      e.preventDefault();
      return;
    }
    if (this.mode === 'session' && this.stepping.handleKey(e)) e.preventDefault();
  }

  private onAction(action: ErrorAction): void {
    if (action === 'retry') this.options.host.post({ type: 'retry' });
    else this.options.host.post({ type: 'action', action });
  }

  private copyThought(): void {
    this.options.host.post({ type: 'copy', what: 'thought', text: thoughtToMarkdown(this.segments, this.finalAnswer) });
  }

  private setMode(mode: Mode): void {
    this.mode = mode === 'session' && !this.hasSession ? 'compose' : mode;
    this.root.dataset.mode = this.mode;
    setHidden(this.sessionPane, this.mode !== 'session');
    setHidden(this.composePane, this.mode === 'session');
    this.compose.setCanGoBack(this.hasSession && this.mode !== 'session');
  }

  private startTimer(): void {
    this.stopTimer();
    const every = this.options.setInterval ?? ((cb, ms) => setInterval(cb, ms));
    this.timer = every(() => this.tick(), 1000);
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    const clear = this.options.clearInterval ?? ((handle) => clearInterval(handle as ReturnType<typeof setInterval>));
    clear(this.timer);
    this.timer = undefined;
  }
}

function basename(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
