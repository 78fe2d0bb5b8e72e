import type { Phase, ReflectionType, SegmentKind } from '../../protocol/thought';
import { classifyHead, HEAD_CHARS, REFLECTION_PHRASES } from './reflectionPhrases';

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
  /** The paragraph being read: its lines joined, how many, and whether any has ink. */
  private paraText = '';
  private paraLines = 0;
  private paraInk = false;
  /** The paragraph started with display math and may yet turn out to be math only. */
  private paraMaybeMath = false;
  /** Paragraphs of the segment that is complete so far but still open to trailing math, joined. */
  private openJoined = '';
  private openParas = 0;
  private openParasInk = false;
  /** openText(''), its first HEAD_CHARS characters, and it followed by what joins a partial line. */
  private base = '';
  private head = '';
  private joint = '';
  private gen = 0;
  /** The same paragraphs and lines as they came, for openTextFromScratch. */
  private paras: string[] = [];
  private lines: string[] = [];
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
  /** What openText puts before a partial line: openText('') and the line break or blank line after it. */
  get openJoint(): string { return this.joint; }
  /** openText('') has a non-white-space character. */
  get openInk(): boolean { return this.openParasInk || this.paraInk; }

  /** One whole line (without its newline); `at` is the stream offset where it starts. */
  line(text: string, at: number): void {
    if (this.fence) {
      this.addLine(text);
      const m = FENCE_OPEN.exec(text);
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
    if (BLANK.test(text)) {
      this.endParagraph(at);
      return;
    }
    if (this.paraLines === 0) this.startParagraph(text, at);
    this.addLine(text);
    const fm = FENCE_OPEN.exec(text);
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
    return this.paraLines === 0 && this.openParas > 0 && !this.fence && !this.mathClose;
  }

  /** The next paragraph has begun with prose: close the waiting segment now, not at the line's end. */
  closeWaiting(at: number): void {
    if (this.awaitingParagraph) this.closeOpen(at);
  }

  /** The open segment's text as a reader would see it now (for live rendering). */
  openText(partialLine: string): string {
    return partialLine ? this.joint + partialLine : this.base;
  }

  /** openText computed the slow way, from the open paragraphs and lines (to test openText against). */
  openTextFromScratch(partialLine: string): string {
    const paras = this.paras.slice();
    const current = partialLine ? [...this.lines, partialLine] : this.lines;
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
    this.paraMaybeMath = this.openParas > 0 && (t.startsWith('$$') || t.startsWith('\\['));
    if (!this.paraMaybeMath) this.closeOpen(at);
  }

  private addLine(text: string): void {
    const sep = this.paraLines > 0 ? '\n' : this.openParas > 0 ? '\n\n' : '';
    this.paraText = this.paraLines > 0 ? this.paraText + '\n' + text : text;
    this.paraLines++;
    this.lines.push(text);
    if (!this.paraInk && !BLANK.test(text)) this.paraInk = true;
    this.base = this.base + sep + text;
    const room = HEAD_CHARS - this.head.length;
    if (room > 0) this.head += sep.length >= room ? sep.slice(0, room) : sep + text.slice(0, room - sep.length);
    this.joint = this.base + '\n';
  }

  private endParagraph(at: number): void {
    if (this.paraLines === 0) return;
    const text = this.paraText;
    const ink = this.paraInk;
    this.paraText = '';
    this.paraLines = 0;
    this.paraInk = false;
    this.lines = [];
    const gen = this.gen;
    if (this.paraMaybeMath && !isDisplayMathOnly(text)) this.closeOpen(at);
    this.paraMaybeMath = false;
    if (this.openParas === 0) {
      this.openJoined = text;
      // The paragraph starts the open text: base already holds it, unless a segment just closed.
      if (this.gen !== gen) {
        this.base = text;
        this.head = text.slice(0, HEAD_CHARS);
      }
    } else {
      this.openJoined = this.openJoined + '\n\n' + text;
    }
    this.openParas++;
    this.paras.push(text);
    if (ink) this.openParasInk = true;
    this.joint = this.base + '\n\n';
  }

  private closeOpen(at: number): void {
    if (this.openParas === 0) return;
    const text = this.openJoined;
    // The open text starts with this segment's text (a paragraph after it is joined on).
    const head = this.head.length > text.length ? this.head.slice(0, text.length) : this.head;
    this.openJoined = this.base = this.head = this.joint = '';
    this.openParas = 0;
    this.paras = [];
    this.openParasInk = false;
    this.gen++;
    const reflection = this.phase === 'thought' ? classifyHead(head, this.phrases).type : null;
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
