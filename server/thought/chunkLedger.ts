/**
 * Which stream chunks (≈ tokens) and how much time each segment took. Chunks are recorded by the
 * stream offset where they end; a segment closed at offset P takes every chunk not yet taken
 * that ends at or before P, so the tokens of all segments add up to the chunks received.
 */
export class ChunkLedger {
  // A window over the chunks not yet taken (typed arrays: one is recorded per token).
  private ends = new Float64Array(256);
  private times = new Float64Array(256);
  private head = 0;
  private tail = 0;
  /** Taken chunks moved out of the window. */
  private dropped = 0;
  private lastTakenTime: number | undefined;

  record(endOffset: number, atMs: number): void {
    if (this.tail === this.ends.length) this.makeRoom();
    this.ends[this.tail] = endOffset;
    this.times[this.tail] = atMs;
    this.tail++;
  }

  /** Takes the chunks ending at or before `offset` (all of them when offset is Infinity). */
  take(offset: number, nowMs: number): { tokens: number; ms: number } {
    const first = this.head;
    const ends = this.ends;
    let head = first;
    while (head < this.tail && ends[head] <= offset) head++;
    this.head = head;
    const tokens = head - first;
    if (tokens === 0) return { tokens: 0, ms: 0 };
    const lastTime = this.times[this.head - 1];
    const since = this.lastTakenTime ?? this.times[first];
    this.lastTakenTime = lastTime;
    return { tokens, ms: Math.max(0, Math.round(Math.min(lastTime, nowMs) - since)) };
  }

  get received(): number { return this.tail + this.dropped; }

  private makeRoom(): void {
    // Keep memory flat over a 100k-chunk stream: slide the untaken chunks down, or grow.
    if (this.head * 2 >= this.tail && this.head > 0) {
      this.ends.copyWithin(0, this.head, this.tail);
      this.times.copyWithin(0, this.head, this.tail);
      this.dropped += this.head;
      this.tail -= this.head;
      this.head = 0;
      return;
    }
    const ends = new Float64Array(this.ends.length * 2);
    const times = new Float64Array(this.times.length * 2);
    ends.set(this.ends);
    times.set(this.times);
    this.ends = ends;
    this.times = times;
  }
}
