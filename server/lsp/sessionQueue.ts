/**
 * At most `limit` sessions talk to the backend at once; the rest wait in order. A waiting
 * session that is cancelled leaves the queue without ever taking a slot.
 */
export class SessionQueue {
  private running = 0;
  private readonly waiting: Array<{ start: () => void; signal: AbortSignal }> = [];

  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    this.pump();
  }

  /** How many sessions are ahead of a new one. */
  get ahead(): number {
    return Math.max(0, this.running - this.limit + 1) + this.waiting.length;
  }

  /** Waits for a slot (or rejects when `signal` aborts first); call the returned release when done. */
  acquire(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.running--;
        this.pump();
      };
      const entry = {
        signal,
        start: () => {
          signal.removeEventListener('abort', onAbort);
          this.running++;
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error('cancelled while waiting for a free session slot'));
      };
      if (signal.aborted) { onAbort(); return; }
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.limit && this.waiting.length > 0) this.waiting.shift()!.start();
  }
}
