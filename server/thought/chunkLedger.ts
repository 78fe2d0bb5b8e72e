/**
 * Which stream chunks (≈ tokens) and how much time each segment took. Chunks are recorded by the
 * stream offset where they end; a segment closed at offset P takes every chunk not yet taken
 * that ends at or before P, so the tokens of all segments add up to the chunks received.
 */
export class ChunkLedger {
  private ends: number[] = [];
  private times: number[] = [];
  private head = 0;
  private lastTakenTime: number | undefined;

  record(endOffset: number, atMs: number): void {
    this.ends.push(endOffset);
    this.times.push(atMs);
  }

  /** Takes the chunks ending at or before `offset` (all of them when offset is Infinity). */
  take(offset: number, nowMs: number): { tokens: number; ms: number } {
    const first = this.head;
    while (this.head < this.ends.length && this.ends[this.head] <= offset) this.head++;
    const tokens = this.head - first;
    if (tokens === 0) return { tokens: 0, ms: 0 };
    const lastTime = this.times[this.head - 1];
    const since = this.lastTakenTime ?? this.times[first];
    this.lastTakenTime = lastTime;
    if (this.head > 64 && this.head * 2 > this.ends.length) this.compact();
    return { tokens, ms: Math.max(0, Math.round(Math.min(lastTime, nowMs) - since)) };
  }

  get received(): number { return this.ends.length + this.dropped; }

  private dropped = 0;

  private compact(): void {
    // Keep memory flat over a 100k-chunk stream.
    this.ends = this.ends.slice(this.head);
    this.times = this.times.slice(this.head);
    this.dropped += this.head;
    this.head = 0;
  }
}
