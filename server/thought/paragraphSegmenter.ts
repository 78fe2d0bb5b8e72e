import type { Phase, ReflectionType, SegmentKind } from '../../protocol/thought';
import { classifyHead, HEAD_CHARS, REFLECTION_PHRASES, type HeadClass } from './reflectionPhrases';

/** A segment as the segmenter knows it: text and classification, before tokens and time. */
export interface SegmentDraft {
  phase: Phase;
  kind: SegmentKind;
  reflection: ReflectionType | null;
  text: string;
  /** Offset in the whole stream where the segment was closed (for token accounting). */
  closedAt: number;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
const BLANK = /^\s*$/;

// Most lines start with a letter: they are neither blank nor a fence, and no regex need say so.
function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  const c = line.charCodeAt(0);
  return c > 0x20 && c < 0x80 ? false : BLANK.test(line);
}

function fenceOpen(line: string): RegExpExecArray | null {
  const c = line.charCodeAt(0);
  return c === 0x20 || c === 0x60 || c === 0x7e ? FENCE_OPEN.exec(line) : null;
}

/**
 * Cuts the lines of one stream into segments: a paragraph (blank-line separated) is a segment;
 * a paragraph holding only display math joins the segment before it; fenced code and display
 * math are never cut, whatever blank lines they contain. Works on whole lines only, so the
 * result does not depend on how the stream was chunked.
 *
 * The open text (what a reader sees of the segment not yet closed) is kept as it grows rather
 * than joined on demand, so asking for it after every token costs nothing that grows with it.
 */
export class ParagraphSegmenter {
  private phase: Phase = 'thought';
  /**
   * Lines of the open segment as they came, where the paragraph being read starts among them,
   * and whether that paragraph has ink.
   */
  private texts: string[] = [];
  private paraStart = 0;
  private paraInk = false;
  /** The paragraph started with display math and may yet turn out to be math only. */
  private paraMaybeMath = false;
  /**
   * Paragraphs of the segment that is complete so far but still open to trailing math: where each
   * ends among the lines, their text joined, and whether any has ink.
   */
  private ends: number[] = [];
  private openJoined = '';
  private openParasInk = false;
  /** openText(''), its first HEAD_CHARS characters, and (once asked) it followed by what joins a partial line. */
  private base = '';
  private head = '';
  private joint = '';
  private jointKnown = true;
  private gen = 0;
  /** classifyHead(head) for generation `gen` and a head of `len` characters. */
  private readonly known = { gen: -1, len: 0, type: null as ReflectionType | null, decided: false };
  private fence: { char: string; len: number } | null = null;
  private mathClose: '$$' | '\\]' | null = null;

  constructor(
    private readonly onSegment: (s: SegmentDraft) => void,
    private readonly phrases = REFLECTION_PHRASES,
  ) {}

  get currentPhase(): Phase { return this.phase; }
  get inFence(): boolean { return this.fence !== null; }
  /** Changes whenever the open text starts over (a segment closed, the phase changed). */
  get generation(): number { return this.gen; }
  /** The first HEAD_CHARS characters of openText(''). */
  get openHead(): string { return this.head; }
  /** classifyHead of openText('')'s head (in the thought), asked again only while it may change. */
  headType(): HeadClass {
    const k = this.known;
    if (k.gen !== this.gen || (!k.decided && k.len !== this.head.length)) {
      const { type, decided } = classifyHead(this.head, this.phrases);
      k.gen = this.gen;
      k.len = this.head.length;
      k.type = type;
      k.decided = decided;
    }
    return k;
  }

  /** What openText puts before a partial line: openText('') and the line break or blank line after it. */
  get openJoint(): string {
    if (!this.jointKnown) {
      this.joint = this.base + this.separator();
      this.jointKnown = true;
    }
    return this.joint;
  }
  /** openText('') has a non-white-space character. */
  get openInk(): boolean { return this.openParasInk || this.paraInk; }

  /** One whole line (without its newline); `at` is the stream offset where it starts. */
  line(text: string, at: number): void {
    if (this.fence) {
      this.addLine(text);
      const m = fenceOpen(text);
      if (m && m[1][0] === this.fence.char && m[1].length >= this.fence.len && BLANK.test(text.slice(m[0].length))) {
        this.fence = null;
      }
      return;
    }
    if (this.mathClose) {
      this.addLine(text);
      this.trackMath(text);
      return;
    }
    if (isBlank(text)) {
      this.endParagraph(at);
      return;
    }
    if (this.texts.length === this.paraStart) this.startParagraph(text, at);
    this.addLine(text);
    const fm = fenceOpen(text);
    if (fm) this.fence = { char: fm[1][0], len: fm[1].length };
    else this.trackMath(text);
  }

  /** A phase marker: everything open is closed, and what follows belongs to `next`. */
  switchPhase(next: Phase, at: number): void {
    this.closeAll(at);
    this.phase = next;
    this.gen++;
  }

  /** End of stream: close what is open. */
  finish(at: number): void {
    this.closeAll(at);
  }

  /**
   * True between paragraphs while a segment waits to learn whether display math follows it: the
   * first visible character of the next line decides (anything but `$` or `\\` starts a new step).
   */
  get awaitingParagraph(): boolean {
    return this.texts.length === this.paraStart && this.ends.length > 0 && !this.fence && !this.mathClose;
  }

  /** The next paragraph has begun with prose: close the waiting segment now, not at the line's end. */
  closeWaiting(at: number): void {
    if (this.awaitingParagraph) this.closeOpen(at);
  }

  /** The open segment's text as a reader would see it now (for live rendering). */
  openText(partialLine: string): string {
    if (partialLine.length === 0) return this.base;
    const joint = this.openJoint;
    return joint.length === 0 ? partialLine : joint + partialLine;
  }

  /** openText computed the slow way, from the open paragraphs and lines (to test openText against). */
  openTextFromScratch(partialLine: string): string {
    const paras = this.ends.map((end, i) => this.texts.slice(i > 0 ? this.ends[i - 1] : 0, end).join('\n'));
    const lines = this.texts.slice(this.paraStart);
    const current = partialLine ? [...lines, partialLine] : lines;
    if (current.length) paras.push(current.join('\n'));
    return paras.join('\n\n');
  }

  private closeAll(at: number): void {
    // An unterminated fence or math block must not swallow the next phase.
    this.fence = null;
    this.mathClose = null;
    this.endParagraph(at);
    this.closeOpen(at);
  }

  private startParagraph(first: string, at: number): void {
    const t = first.trimStart();
    this.paraMaybeMath = this.ends.length > 0 && (t.startsWith('$$') || t.startsWith('\\['));
    if (!this.paraMaybeMath) this.closeOpen(at);
  }

  /** What joins a line to the open text: a line break within a paragraph, a blank line after one. */
  private separator(): string {
    return this.texts.length > this.paraStart ? '\n' : this.ends.length > 0 ? '\n\n' : '';
  }

  private addLine(text: string): void {
    const sep = this.separator();
    this.texts.push(text);
    if (!this.paraInk && !isBlank(text)) this.paraInk = true;
    // The joint, when the live view asked for it, is base + sep already.
    this.base = this.jointKnown && this.base.length !== 0 ? this.joint + text : this.base + sep + text;
    this.jointKnown = false;
    const room = HEAD_CHARS - this.head.length;
    if (room > 0) {
      this.head += sep.length >= room ? sep.slice(0, room) : sep + text.slice(0, room - sep.length);
      // Classify while the head is still a slice of one line (cheap to read), not at close.
      if (this.phase === 'thought') this.headType();
    }
  }

  private endParagraph(at: number): void {
    if (this.texts.length === this.paraStart) return;
    const ink = this.paraInk;
    this.paraInk = false;
    const gen = this.gen;
    if (this.paraMaybeMath && !isDisplayMathOnly(this.texts.slice(this.paraStart).join('\n'))) this.closeOpen(at);
    this.paraMaybeMath = false;
    if (this.gen !== gen) {
      // A segment just closed before this paragraph: the open text starts over with it.
      this.base = this.texts.join('\n');
      this.head = this.base.slice(0, HEAD_CHARS);
    }
    // base is the open paragraphs joined, this one included.
    this.openJoined = this.base;
    this.ends.push(this.texts.length);
    this.paraStart = this.texts.length;
    if (ink) this.openParasInk = true;
    this.jointKnown = false;
  }

  private closeOpen(at: number): void {
    if (this.ends.length === 0) return;
    const text = this.openJoined;
    // The open text starts with this segment's text (a paragraph after it is joined on).
    const k = this.known;
    const reflection = this.phase !== 'thought' ? null
      // Known already when decided on a head no longer than this segment's text.
      : k.gen === this.gen && k.len <= text.length && (k.decided || k.len === Math.min(this.head.length, text.length)) ? k.type
      : classifyHead(this.head.length > text.length ? this.head.slice(0, text.length) : this.head, this.phrases).type;
    this.openJoined = this.base = this.head = this.joint = '';
    this.jointKnown = true;
    // Only the paragraph being read stays (it is not part of what closes).
    this.texts = this.texts.slice(this.paraStart);
    this.paraStart = 0;
    this.ends = [];
    this.openParasInk = false;
    this.gen++;
    this.onSegment({
      phase: this.phase,
      kind: reflection ? 'reflection' : 'step',
      reflection,
      text,
      closedAt: at,
    });
  }

  private trackMath(line: string): void {
    // Walk the line's display-math delimiters to know whether a block is left open.
    let i = 0;
    for (;;) {
      if (this.mathClose === null) {
        const dollars = line.indexOf('$$', i);
        const bracket = line.indexOf('\\[', i);
        if (dollars < 0 && bracket < 0) return;
        if (bracket < 0 || (dollars >= 0 && dollars < bracket)) { this.mathClose = '$$'; i = dollars + 2; }
        else { this.mathClose = '\\]'; i = bracket + 2; }
      } else {
        const end = line.indexOf(this.mathClose, i);
        if (end < 0) return;
        i = end + 2;
        this.mathClose = null;
      }
    }
  }
}

/** True when a paragraph is nothing but `$$…$$` / `\[…\]` blocks and white space. */
export function isDisplayMathOnly(text: string): boolean {
  let i = 0;
  let blocks = 0;
  const n = text.length;
  for (;;) {
    while (i < n && /\s/.test(text[i])) i++;
    if (i >= n) return blocks > 0;
    let close: string;
    if (text.startsWith('$$', i)) close = '$$';
    else if (text.startsWith('\\[', i)) close = '\\]';
    else return false;
    const end = text.indexOf(close, i + 2);
    if (end < 0) return false;
    i = end + 2;
    blocks++;
  }
}
