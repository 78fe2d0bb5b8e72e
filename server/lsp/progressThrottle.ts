import type { OpenSegmentView } from '../../protocol/webviewMessages';

/** Live progress at most this often: the webview renders per frame, the host needn't relay every token. */
const PROGRESS_INTERVAL_MS = 32;

/** Coalesces a session's progress updates; `flush` sends the pending one at once (before an event). */
export class ProgressThrottle {
  private pending: { open: () => OpenSegmentView | null; chunks: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(private readonly send: (open: OpenSegmentView | null, chunks: number) => void) {}

  /** `open` is evaluated only when the update is sent, at most once per interval. */
  update(open: () => OpenSegmentView | null, chunks: number): void {
    this.pending = { open, chunks };
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, PROGRESS_INTERVAL_MS - (Date.now() - this.last)));
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    this.last = Date.now();
    const { open, chunks } = this.pending;
    this.pending = undefined;
    this.send(open(), chunks);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
