/**
 * `virgo batch`'s progress on stderr. On a terminal: one line redrawn in place (bar, done/total,
 * correct so far, rate, ETA), kept fresh every second. Piped or in CI: a plain line every few
 * items, so logs stay readable.
 */
import type { BatchResult } from '../eval/batchResult';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressStart {
  /** Items in the data file. */
  total: number;
  /** Already in RESULTS.jsonl (a resumed run), with their scores. */
  done: number;
  correct: number;
  scored: number;
  failed: number;
  now?: () => number;
}

const BAR_WIDTH = 24;

export class BatchProgress {
  private done: number;
  private correct: number;
  private scored: number;
  private failed: number;
  private thisRun = 0;
  private readonly started: number;
  private readonly now: () => number;
  private readonly tty: boolean;
  private readonly every: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: ProgressStream, private readonly start: ProgressStart) {
    this.done = start.done;
    this.correct = start.correct;
    this.scored = start.scored;
    this.failed = start.failed;
    this.now = start.now ?? Date.now;
    this.started = this.now();
    this.tty = out.isTTY === true;
    this.every = Math.max(1, Math.min(25, Math.ceil((start.total - start.done) / 20)));
    if (this.tty) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 1000);
      this.timer.unref();
    }
  }

  record(r: BatchResult): void {
    this.done++;
    this.thisRun++;
    if (r.error !== undefined) this.failed++;
    if (r.correct !== null) {
      this.scored++;
      if (r.correct) this.correct++;
    }
    if (this.tty) this.draw();
    else if (this.thisRun % this.every === 0 || this.done === this.start.total) this.out.write(`virgo batch: ${this.status()}\n`);
  }

  /** A message above the bar (an item's error, a warning). */
  log(message: string): void {
    this.out.write(this.tty ? `\r\x1b[K${message}\n` : `${message}\n`);
    if (this.tty) this.draw();
  }

  /** Leaves the last state on its own line and stops redrawing. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) {
      this.draw();
      this.out.write('\n');
    } else if (this.thisRun % this.every !== 0 && this.done !== this.start.total) {
      this.out.write(`virgo batch: ${this.status()}\n`);
    }
  }

  /** "42/100 · correct 30/40 (75.0%) · 1 failed · 2.4/min · ETA 24m 10s" */
  status(): string {
    const { total } = this.start;
    const parts = [`${this.done}/${total}`];
    if (this.scored > 0) parts.push(`correct ${this.correct}/${this.scored} (${((100 * this.correct) / this.scored).toFixed(1)}%)`);
    if (this.failed > 0) parts.push(`${this.failed} failed`);
    const elapsed = (this.now() - this.started) / 1000;
    if (this.thisRun > 0 && elapsed > 0) {
      const perSecond = this.thisRun / elapsed;
      parts.push(perSecond >= 1 ? `${perSecond.toFixed(1)}/s` : `${(perSecond * 60).toFixed(1)}/min`);
      if (this.done < total) parts.push(`ETA ${formatDuration((total - this.done) / perSecond)}`);
    } else {
      parts.push(`${formatDuration(elapsed)} elapsed`);
    }
    return parts.join(' · ');
  }

  private draw(): void {
    const { total } = this.start;
    const filled = total === 0 ? BAR_WIDTH : Math.round((BAR_WIDTH * this.done) / total);
    const line = `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${this.status()}`;
    const width = this.out.columns && this.out.columns > 10 ? this.out.columns - 1 : line.length;
    this.out.write(`\r\x1b[K${line.slice(0, width)}`);
  }
}

/** 45s, 12m 05s, 3h 07m */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
