import type { Answer, Phase, ReflectionType, Segment, SegmentKind } from '../../protocol/thought';
import { extractBoxed } from './boxed';
import { ChunkLedger } from './chunkLedger';
import { splitAtMarkers, visibleText } from './phaseMarkers';
import { ParagraphSegmenter, type SegmentDraft } from './paragraphSegmenter';
import { LINE_BREAK, PartialLine, WIDE } from './partialLine';
import { classifyHead, classifyReflection, HEAD_CHARS, REFLECTION_PHRASES } from './reflectionPhrases';

/** Chunks up to this long are looked at character by character (most chunks are a token). */
const TOKEN_CHARS = 16;

/** What push returns when nothing closed (most chunks): shared, so frozen. */
const NONE: Segment[] = Object.freeze([]) as unknown as Segment[];

/** One streamed delta: answer text, or thought text from a server's reasoning field. */
export interface StreamPiece {
  content?: string;
  reasoning?: string;
}

/** The segment still being written, for live rendering. */
export interface OpenSegment {
  index: number;
  phase: Phase;
  kind: SegmentKind;
  reflection: ReflectionType | null;
  text: string;
}

export interface ParserOptions {
  phrases?: typeof REFLECTION_PHRASES;
}

/**
 * Turns a model's streamed output into segments and an answer, incrementally. Phases come from
 * STILL-2 markers, `<think>` tags or the reasoning fields; lines are only interpreted once whole,
 * so any chunking of the same stream gives the same segments. Cost per chunk does not grow with
 * the length of the thought, and neither does openSegment(): it is kept as the text grows and
 * cached until more arrives.
 */
export class ThoughtParser {
  private readonly ledger = new ChunkLedger();
  private readonly segmenter: ParagraphSegmenter;
  private readonly closed: Segment[] = [];
  private fresh: Segment[] = [];
  /** The unfinished line. */
  private readonly partial = new PartialLine();
  private offset = 0;
  private lineStart = 0;
  private nowMs = 0;
  private field: 'content' | 'reasoning' | undefined;
  /** Phase markers or a reasoning field were seen. */
  private sawMarker = false;
  private finished = false;
  private readonly phrases: typeof REFLECTION_PHRASES;
  /** openSegment()'s answer until more text arrives (undefined: not computed yet). */
  private open: OpenSegment | null | undefined;
  /**
   * An open segment computed before, when all that has come since is `growth`, added to its
   * unfinished line with nothing else changed: the open segment is then that one with the text
   * `grownText + growth` (its text, or the text a line joins when the line was empty).
   */
  private grownFrom: OpenSegment | null = null;
  private grownText = '';
  private growth = '';
  /** The open segment's reflection type, for the segmenter's generation `gen`; `final` when more text cannot change it. */
  private readonly openType = { gen: -1, type: null as ReflectionType | null, final: false };

  constructor(options: ParserOptions = {}) {
    this.phrases = options.phrases ?? REFLECTION_PHRASES;
    this.segmenter = new ParagraphSegmenter((d) => this.close(d), this.phrases);
  }

  get phase(): Phase { return this.segmenter.currentPhase; }
  get segments(): readonly Segment[] { return this.closed; }
  /** Chunks received so far (the live token count). */
  get chunks(): number { return this.ledger.received; }

  /** Feeds one delta received at `atMs`; returns the segments it closed. */
  push(piece: StreamPiece, atMs: number): Segment[] {
    if (this.finished) throw new Error('ThoughtParser: push after finish');
    this.nowMs = atMs;
    const { reasoning, content } = piece;
    if (reasoning) this.feed(reasoning, 'reasoning');
    if (content) this.feed(content, 'content');
    if (reasoning || content) {
      this.ledger.record(this.offset, atMs);
      this.open = undefined;
    }
    return this.drain();
  }

  /** End of stream: closes what is open and extracts the answer. */
  finish(atMs: number): { segments: Segment[]; answer: Answer } {
    if (!this.finished) {
      this.nowMs = atMs;
      this.flushPartial();
      this.segmenter.finish(Infinity);
      // Chunks after the last segment closed (closing markers, trailing blank lines) count for it.
      const rest = this.ledger.take(Infinity, atMs);
      const last = this.closed[this.closed.length - 1];
      if (last) { last.tokens += rest.tokens; last.ms += rest.ms; }
      this.finished = true;
      this.open = undefined;
      this.grownFrom = null;
    }
    return { segments: this.drain(), answer: this.answer() };
  }

  /**
   * The segment being written, with the unfinished line, or null between segments. Cheap enough
   * to ask after every chunk: nothing in it is rebuilt from the whole open text.
   */
  openSegment(): OpenSegment | null {
    const cached = this.open;
    if (cached !== undefined) return cached;
    const from = this.grownFrom;
    const growth = this.growth;
    this.growth = '';
    if (from !== null && growth.length !== 0) {
      // The common case: a token more on the same line of the same segment.
      const { index, phase, kind, reflection } = from;
      const open = { index, phase, kind, reflection, text: this.grownText + growth };
      this.grownText = open.text;
      return (this.open = this.grownFrom = open);
    }
    this.grownFrom = null;
    const seg = this.segmenter;
    const line = this.partial;
    const visible = line.visible();
    if (!line.visibleInk && !seg.openInk) return (this.open = null);
    const phase = seg.currentPhase;
    const t = this.openType;
    const reflection = phase !== 'thought' ? null : t.final && t.gen === seg.generation ? t.type : this.openReflection(visible);
    const open: OpenSegment = { index: this.closed.length, phase, kind: reflection === null ? 'step' : 'reflection', reflection, text: seg.openText(visible) };
    // It grows with the line while what comes is shown as it comes and the type is settled.
    const growable = line.showsAsItComes && (phase !== 'thought' || (t.final && t.gen === seg.generation));
    this.grownFrom = growable ? open : null;
    if (growable) this.grownText = visible.length !== 0 ? open.text : seg.openJoint;
    return (this.open = open);
  }

  /** The answer from what has closed so far (complete after finish). */
  answer(): Answer {
    // The solution's segments joined (a loop: filter/map/join call a closure per segment).
    let solution = '';
    let any = false;
    for (const s of this.closed) {
      if (s.phase !== 'solution') continue;
      solution = any ? solution + '\n\n' + s.text : s.text;
      any = true;
    }
    const boxed = extractBoxed(solution);
    if (boxed.length > 0) return { text: solution, boxed };
    // No boxed answer in a solution (or no solution at all): the thought's last box decides.
    for (let i = this.closed.length - 1; i >= 0; i--) {
      const inSegment = extractBoxed(this.closed[i].text);
      if (inSegment.length > 0) return { text: solution || this.closed[i].text, boxed: [inSegment[inSegment.length - 1]] };
    }
    return { text: solution, boxed: [] };
  }

  /** openSegment() rebuilt from the whole open text, the slow way: for tests to hold openSegment() to. */
  openSegmentFromScratch(): OpenSegment | null {
    const text = this.segmenter.openTextFromScratch(visibleText(this.partial.text));
    if (!text.trim()) return null;
    const reflection = this.phase === 'thought' ? classifyReflection(text, this.phrases) : null;
    return { index: this.closed.length, phase: this.phase, kind: reflection ? 'reflection' : 'step', reflection, text };
  }

  /** classifyReflection(open text), asked again only while the text's start can still change it. */
  private openReflection(visible: string): ReflectionType | null {
    const cached = this.openType;
    const gen = this.segmenter.generation;
    if (cached.gen === gen && cached.final) return cached.type;
    let head = this.segmenter.openHead;
    const known = head ? this.segmenter.headType() : undefined;
    if (known?.decided) {
      // The open text goes on from a head that already decides.
      cached.gen = gen;
      cached.type = known.type;
      cached.final = true;
      return known.type;
    }
    let stable = true;
    if (head.length < HEAD_CHARS && visible) {
      // The open text starts in the unfinished line: take its first characters without joining.
      const joint = this.segmenter.openJoint;
      if (joint.length >= HEAD_CHARS) head = joint.slice(0, HEAD_CHARS);
      else {
        const line = this.partial.visibleHead(HEAD_CHARS - joint.length, visible);
        head = joint + line.text;
        stable = line.stable;
      }
    }
    const { type, decided } = classifyHead(head, this.phrases);
    cached.gen = gen;
    cached.type = type;
    cached.final = decided && stable;
    return type;
  }

  private feed(text: string, field: 'content' | 'reasoning'): void {
    if (field !== this.field) this.enter(field);
    if (text.length > TOKEN_CHARS) return this.feedLines(text, -1, false);
    // A token: one look at each character tells a plain piece (no line break, `<`, backtick or
    // character beyond Latin-1), and copies it to the line meanwhile. Kept small, to be inlined.
    const partial = this.partial;
    const seen = partial.scan(text);
    if (seen !== 0) return this.feedLines(text, (seen & LINE_BREAK) !== 0 ? text.indexOf('\n') : -1, (seen & WIDE) === 0);
    const first = partial.firstCode;
    partial.addScanned(text);
    this.offset += text.length;
    if (first < 0) this.lineBegins(text);
    else if (this.grownFrom !== null) this.growth = this.growth.length === 0 ? text : this.growth + text;
  }

  /** A plain token added to a line without a visible character before it (apart, so that feed stays small). */
  private lineBegins(text: string): void {
    if (this.partial.firstCode >= 0) {
      // The line's first visible character: a waiting step may close.
      const gen = this.segmenter.generation;
      this.maybeCloseWaiting();
      if (this.segmenter.generation !== gen) this.grownFrom = null;
    }
    if (this.grownFrom !== null) this.growth = this.growth.length === 0 ? text : this.growth + text;
  }

  private enter(field: 'content' | 'reasoning'): void {
    this.grownFrom = null;
    const previous = this.field;
    this.field = field;
    if (field === 'reasoning') this.sawMarker = true;
    // A reasoning field carries the thought; content after it is the solution.
    if (field === 'reasoning' && this.phase !== 'thought') this.switchPhase('thought');
    else if (field === 'content' && previous === 'reasoning') this.switchPhase('solution');
  }

  /**
   * Text that is not a plain token: `nl` is its first line break (-1: none), `scanned` whether
   * scan() copied it after the line's bytes.
   */
  private feedLines(text: string, nl: number, scanned: boolean): void {
    const partial = this.partial;
    if (nl < 0 && text.length > TOKEN_CHARS) nl = text.indexOf('\n');
    this.grownFrom = null;
    let from = 0;
    for (; nl >= 0; nl = text.indexOf('\n', from)) {
      // After the first line break the line starts empty.
      const line = from !== 0 ? text.slice(from, nl) : scanned ? partial.takeScanned(nl) : partial.take(nl !== 0 ? text.slice(0, nl) : '');
      this.offset += nl - from + 1;
      this.processLine(line);
      this.lineStart = this.offset;
      from = nl + 1;
    }
    if (from < text.length) {
      const first = partial.firstCode;
      partial.append(from !== 0 ? text.slice(from) : text);
      this.offset += text.length - from;
      if (first < 0) this.maybeCloseWaiting();
    }
  }

  /**
   * Close the previous step as soon as the next one visibly starts, so the live view never shows
   * the start of a new step under the previous step's label. Asked when the line's first visible
   * character arrives: until the line ends nothing else can change the answer.
   */
  private maybeCloseWaiting(): void {
    const first = this.partial.firstCode;
    if (first >= 0 && first !== 0x24 /* $ */ && first !== 0x5c /* \\ */ && first !== 0x3c /* < */ && this.segmenter.awaitingParagraph) {
      this.segmenter.closeWaiting(this.lineStart);
    }
  }

  private switchPhase(next: Phase): void {
    this.flushPartial();
    this.segmenter.switchPhase(next, this.offset);
  }

  private flushPartial(): void {
    if (this.partial.empty) return;
    const line = this.partial.take('');
    this.processLine(line);
    this.lineStart = this.offset;
  }

  private processLine(line: string): void {
    // A marker inside fenced code is text the model is quoting, not a phase change.
    if (this.segmenter.inFence || line.indexOf('<') < 0) {
      this.segmenter.line(line, this.lineStart);
      return;
    }
    const pieces = splitAtMarkers(line);
    if (pieces.length === 1 && 'text' in pieces[0]) {
      this.segmenter.line(pieces[0].text, this.lineStart);
      return;
    }
    let at = this.lineStart;
    for (const p of pieces) {
      if ('text' in p) {
        if (p.text.trim()) this.segmenter.line(p.text, at);
        at += p.text.length;
      } else {
        at += p.marker.length;
        this.sawMarker = true;
        this.segmenter.switchPhase(p.next, at);
      }
    }
  }

  private close(d: SegmentDraft): void {
    const { tokens, ms } = this.ledger.take(d.closedAt, this.nowMs);
    const segment: Segment = {
      index: this.closed.length,
      phase: d.phase,
      kind: d.kind,
      reflection: d.reflection,
      text: d.text,
      tokens,
      ms,
    };
    this.closed.push(segment);
    this.fresh.push(segment);
  }

  private drain(): Segment[] {
    if (this.fresh.length === 0) return NONE;
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  /** Whether the stream had phase markers (false: a plain model, all thought). */
  get hadMarkers(): boolean { return this.sawMarker; }
}
