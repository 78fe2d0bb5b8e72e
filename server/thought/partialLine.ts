import { PHASE_MARKERS, visibleText } from './phaseMarkers';

const NON_SPACE = /\S/;
const LONGEST_MARKER = PHASE_MARKERS.reduce((n, [m]) => Math.max(n, m.length), 0);

/** What scan() reports about a piece: a line break, a `<` or backtick, a character beyond Latin-1. */
const NL = 1;
const LT_OR_TICK = 2;
const BEYOND_LATIN1 = 4;
// Exported under other names: an exported const is read from `exports` by the module's own code.
export { NL as LINE_BREAK, LT_OR_TICK as MARKUP, BEYOND_LATIN1 as WIDE };
/** Pieces up to this long are copied to a line kept as bytes. */
const COPY_CHARS = 64;
const NOTABLE = new Uint8Array(0x80);
NOTABLE[0x0a] = NL;
NOTABLE[0x3c] = LT_OR_TICK;
NOTABLE[0x60] = LT_OR_TICK;

/**
 * The unfinished line of the stream, grown a chunk at a time, with what the live view needs
 * (visibleText of it, whether that has ink, its first characters) at a cost proportional to
 * what is new rather than to the line.
 *
 * A line of Latin-1 text without `<` or backtick (most lines) is kept as bytes: each piece is
 * copied in while it is scanned, and the line becomes one string when it ends, rather than a
 * string joined a piece at a time and flattened later. `shown` is the string of its first
 * `shownLen` bytes, grown only when someone asks for the text (the live view).
 *
 * Any other line is a string. Every marker starts with its only `<`, so cutting the line just
 * before a `<` never cuts a marker: the text before the line's last `<` is settled once (markers
 * removed), and only the part from that `<` on is still open. A line with a backtick and a `<`
 * can change earlier (a closing backtick turns a marker into quoted text), so it is recomputed whole.
 */
export class PartialLine {
  private inBytes = true;
  private bytes = Buffer.allocUnsafe(256);
  private len = 0;
  private shown = '';
  private shownLen = 0;
  /** The line, once it is not kept as bytes. */
  private str = '';
  /** The code of its first non-white-space character (-1 while there is none). */
  firstCode = -1;
  private tick = false;
  private firstLt = -1;
  /** Where the last `<` is, and visibleText-without-hiding of the text before it. */
  private lastLt = -1;
  private before = '';
  private beforeInk = false;
  /** Index of the last `<` kept in `before` (-1: none). */
  private beforeLt = -1;
  /** The text from the last `<` on, its first LONGEST_MARKER characters, and its state. */
  private tail = '';
  private tailHead = '';
  /** Length of the marker the tail starts with; 0 while it may still become one; -1 when it cannot. */
  private tailMarker = 0;
  /** The tail after its marker, and whether that has ink. */
  private rest = '';
  private restInk = false;

  /** visibleText(text) and whether it has a non-white-space character, as of the last visible() call. */
  visibleInk = false;

  /** The raw line so far. */
  get text(): string {
    if (!this.inBytes) return this.str;
    if (this.shownLen !== this.len) {
      const piece = this.bytes.toString('latin1', this.shownLen, this.len);
      this.shown = this.shownLen === 0 ? piece : this.shown + piece;
      this.shownLen = this.len;
    }
    return this.shown;
  }

  /** Its first non-white-space character ('' while there is none). */
  get first(): string {
    return this.firstCode < 0 ? '' : String.fromCharCode(this.firstCode);
  }

  /** Whether a piece without line break, `<` or backtick would be added to the end of visible(). */
  get showsAsItComes(): boolean {
    return this.lastLt < 0 || (!this.tick && this.tailMarker < 0);
  }

  get empty(): boolean {
    return this.inBytes ? this.len === 0 : this.str.length === 0;
  }

  /**
   * What `s` (no longer than a few tokens) holds, as LINE_BREAK | MARKUP | WIDE bits; it is copied
   * after the line's bytes meanwhile, for addScanned() or takeScanned() to keep.
   */
  scan(s: string): number {
    const n = s.length;
    const at = this.len;
    if (at + n > this.bytes.length) this.grow(at + n);
    const bytes = this.bytes;
    let seen = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      bytes[at + i] = c;
      if (c < 0x80) seen |= NOTABLE[c];
      else if (c > 0xff) seen |= BEYOND_LATIN1;
    }
    return seen;
  }

  /** append(s) for a piece that scan() found holds none of LINE_BREAK | MARKUP | WIDE. */
  addScanned(s: string): void {
    if (this.inBytes) this.len += s.length;
    else {
      this.str = this.str.length !== 0 ? this.str + s : s;
      if (this.lastLt >= 0) this.growTail(s);
    }
    if (this.firstCode < 0) this.findFirst(s);
  }

  /** The whole line when the last scanned piece (no WIDE in it) has a line break after `n` characters; the line starts over. */
  takeScanned(n: number): string {
    const line = this.inBytes ? this.bytes.toString('latin1', 0, this.len + n) : this.str + this.bytes.toString('latin1', 0, n);
    this.clear();
    return line;
  }

  /** The whole line, ended by `end`; the line starts over. */
  take(end: string): string {
    const text = this.text;
    const line = text.length === 0 ? end : end.length === 0 ? text : text + end;
    this.clear();
    return line;
  }

  /** Adds a piece without a line break. */
  append(s: string): void {
    if (this.inBytes) {
      // A long piece (the rest of a big chunk) is cheaper kept as the string it is.
      if (s.length <= COPY_CHARS && (this.scan(s) & (LT_OR_TICK | BEYOND_LATIN1)) === 0) {
        this.addScanned(s);
        return;
      }
      this.str = this.text;
      this.inBytes = false;
      this.len = 0;
    }
    const at = this.str.length;
    this.str = at !== 0 ? this.str + s : s;
    if (this.firstCode < 0) this.findFirst(s);
    if (!this.tick && s.indexOf('`') >= 0) this.tick = true;
    let from = 0;
    for (let lt = s.indexOf('<'); lt >= 0; lt = s.indexOf('<', from)) {
      if (this.lastLt >= 0) this.growTail(s.slice(from, lt));
      this.settle(at + lt);
      from = lt + 1;
    }
    if (this.lastLt >= 0) this.growTail(from ? s.slice(from) : s);
  }

  clear(): void {
    this.inBytes = true;
    this.len = this.shownLen = 0;
    this.str = this.shown = this.before = this.tail = this.tailHead = this.rest = '';
    this.tick = this.beforeInk = this.restInk = this.visibleInk = false;
    this.firstCode = this.firstLt = this.lastLt = this.beforeLt = -1;
    this.tailMarker = 0;
  }

  /** visibleText(this.text); sets visibleInk. */
  visible(): string {
    if (this.lastLt < 0) {
      this.visibleInk = this.firstCode >= 0;
      return this.text;
    }
    if (this.tick) return this.whole();
    if (this.tailMarker > 0) {
      const lt = this.beforeLt;
      // The last `<` left is before the marker: hide it if it and what follows may start a marker.
      if (lt >= 0 && this.before.length - lt + this.rest.length <= LONGEST_MARKER) return this.whole();
      this.visibleInk = this.beforeInk || this.restInk;
      return this.rest ? this.before + this.rest : this.before;
    }
    if (this.tailMarker === 0) {
      // The tail may still become a marker: hidden until that is decided.
      this.visibleInk = this.beforeInk;
      return this.before;
    }
    this.visibleInk = true;
    return this.before + this.tail;
  }

  /**
   * The first `n` characters of visibleText(text) (`visible`), and whether they stay the first
   * characters of the line's visible text whatever follows.
   */
  visibleHead(n: number, visible: string): { text: string; stable: boolean } {
    // Up to the first `<` the visible text is the line as it came.
    const stable = this.firstLt < 0 || this.firstLt >= n;
    const from = stable ? this.text : visible;
    return { text: from.length > n ? from.slice(0, n) : from, stable };
  }

  private grow(n: number): void {
    const bytes = Buffer.allocUnsafe(Math.max(n, this.bytes.length * 2));
    this.bytes.copy(bytes, 0, 0, this.len);
    this.bytes = bytes;
  }

  private findFirst(s: string): void {
    // Most pieces start with a printable ASCII character or an ASCII space: no regex needed.
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x20 && c < 0x7f) { this.firstCode = c; return; }
      if (c !== 0x20 && (c < 0x09 || c > 0x0d)) {
        const j = s.slice(i).search(NON_SPACE);
        if (j >= 0) this.firstCode = s.charCodeAt(i + j);
        return;
      }
    }
  }

  private whole(): string {
    const v = visibleText(this.text);
    this.visibleInk = NON_SPACE.test(v);
    return v;
  }

  /** A `<` at `index` of the line starts a new tail; the old tail (or the text before) settles. */
  private settle(index: number): void {
    if (this.lastLt < 0) {
      this.firstLt = index;
      // The first `<`: everything before it is visible as it is.
      this.before = this.text.slice(0, index);
      this.beforeInk = NON_SPACE.test(this.before);
    } else if (this.tailMarker > 0) {
      if (this.rest) {
        this.before += this.rest;
        if (this.restInk) this.beforeInk = true;
      }
    } else {
      this.beforeLt = this.before.length;
      this.before += this.tail;
      this.beforeInk = true;
    }
    this.lastLt = index;
    this.tail = this.tailHead = this.rest = '';
    this.tailMarker = 0;
    this.restInk = false;
    this.growTail('<');
  }

  /** Characters (no `<` among them but a new tail's own) added to the tail. */
  private growTail(s: string): void {
    if (!s) return;
    const had = this.tail.length;
    this.tail += s;
    if (this.tailMarker > 0) {
      this.addRest(s, Math.max(0, this.tailMarker - had));
      return;
    }
    if (this.tailMarker < 0 || had >= LONGEST_MARKER) return;
    this.tailHead = this.tail.length <= LONGEST_MARKER ? this.tail : this.tail.slice(0, LONGEST_MARKER);
    const head = this.tailHead;
    const marker = PHASE_MARKERS.find(([m]) => head.startsWith(m));
    if (marker) {
      this.tailMarker = marker[0].length;
      this.addRest(s, Math.max(0, this.tailMarker - had));
    } else if (!PHASE_MARKERS.some(([m]) => m.startsWith(head))) {
      this.tailMarker = -1;
    }
  }

  private addRest(s: string, from: number): void {
    if (from >= s.length) return;
    const part = from ? s.slice(from) : s;
    this.rest += part;
    if (!this.restInk && NON_SPACE.test(part)) this.restInk = true;
  }
}
