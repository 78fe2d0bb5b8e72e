import type { Recording } from '../../protocol/recording';
import type { Answer, Segment, Usage } from '../../protocol/thought';
import { ThoughtParser } from '../thought/thoughtParser';

export interface RecordedThought {
  segments: Segment[];
  answer: Answer;
  /** Events that carried text (content or reasoning): the session's chunk count. */
  chunks: number;
  usage: Usage | null;
  durationMs: number;
}

/**
 * The segments and answer of a recorded session, by feeding its chunks through the same parser
 * the live session used, at their recorded times. The parser gives the same segments for any
 * chunking of a stream, so this is what the panel showed; a session that stopped early has its
 * last, unfinished segment closed, so nothing received is missing.
 */
export function thoughtFromRecording(recording: Recording): RecordedThought {
  const parser = new ThoughtParser();
  // Copies as each segment closes, as the live session emits them: finishing the stream later
  // adds the trailing chunks to the parser's own last segment, not to what was shown.
  const segments: Segment[] = [];
  const emit = (closed: readonly Segment[]) => { for (const s of closed) segments.push({ ...s }); };
  let usage: Usage | null = null;
  let last = 0;
  let chunks = 0;
  for (const e of recording.events) {
    last = Math.max(last, e.t);
    if (e.usage) usage = e.usage;
    if (!e.content && !e.reasoning) continue;
    chunks++;
    emit(parser.push({ content: e.content, reasoning: e.reasoning }, e.t));
  }
  const finished = parser.finish(last);
  emit(finished.segments);
  return { segments, answer: finished.answer, chunks, usage, durationMs: last };
}

/** Whether a recording holds any text worth keeping. */
export function hasText(recording: Recording): boolean {
  return recording.events.some((e) => e.content || e.reasoning);
}
