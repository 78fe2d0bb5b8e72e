/**
 * The reasoning model's output as the whole product sees it: the core (server/), the CLI's
 * `--json` lines, the language server's notifications and the webview all use these shapes.
 */

export type Phase = 'thought' | 'solution';
export type SegmentKind = 'step' | 'reflection';
export type ReflectionType = 'verify' | 'backtrack' | 'alternative';

/** One closed segment of the model's output: a paragraph of the thought or of the solution. */
export interface Segment {
  index: number;
  phase: Phase;
  kind: SegmentKind;
  /** The reflection's type when kind is 'reflection', else null. */
  reflection: ReflectionType | null;
  text: string;
  /** Stream chunks (≈ tokens) that carried this segment's text. */
  tokens: number;
  /** Milliseconds from the segment's first chunk to the chunk that closed it. */
  ms: number;
}

export interface Answer {
  /** The solution text (markers stripped); empty when the model wrote no solution phase. */
  text: string;
  /** Every `\boxed{…}` content in order (of the solution, or of the thought when no solution). */
  boxed: string[];
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type EndReason = 'stop' | 'length' | 'cancelled' | 'error';

/** What we know about an image once prepared for Qwen2-VL (the CLI's `prepare --json` object). */
export interface PreparedImageInfo {
  /** Size after EXIF orientation, before resizing. */
  width: number;
  height: number;
  /** Size after smart_resize: exactly what is sent. */
  sentWidth: number;
  sentHeight: number;
  /** (sentWidth / 28) · (sentHeight / 28). */
  imageTokens: number;
  mime: 'image/png' | 'image/jpeg';
  /** Bytes of the encoded image that is sent. */
  bytes: number;
}

/** The events of one reasoning session, in order; the CLI prints them as JSON lines. */
export type ReasonEvent =
  | ({ type: 'start'; model: string; file: string } & PreparedImageInfo)
  | ({ type: 'segment' } & Segment)
  | ({ type: 'answer' } & Answer)
  | { type: 'end'; reason: EndReason; usage: Usage | null; error?: string };
