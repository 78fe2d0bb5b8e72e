/**
 * Coalesces work into animation frames: `progress` messages can arrive far faster than the screen
 * refreshes (1,000 tok/s), and only the last state before a paint matters. `minIntervalMs` skips
 * frames so streaming text repaints at most that often: at 30 fps text still looks live, and each
 * skipped frame saves a Markdown render, a layout and a paint.
 */
export class FrameScheduler {
  private pending = false;
  private lastRun = -Infinity;

  constructor(
    private readonly work: () => void,
    private readonly request: (cb: () => void) => unknown = (cb) => requestAnimationFrame(() => cb()),
    private readonly minIntervalMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {}

  schedule(): void {
    if (this.pending) return;
    this.pending = true;
    this.request(() => this.onFrame());
  }

  /** Runs pending work now (tests; and before a state change that must see the latest frame). */
  flush(): void {
    if (!this.pending) return;
    this.pending = false;
    this.lastRun = this.now();
    this.work();
  }

  private onFrame(): void {
    if (!this.pending) return;
    if (this.now() - this.lastRun < this.minIntervalMs) {
      this.request(() => this.onFrame());
      return;
    }
    this.flush();
  }
}
