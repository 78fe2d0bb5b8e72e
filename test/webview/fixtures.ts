/** Realistic message sequences for webview tests, from the real ThoughtParser and transcripts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Answer, Segment } from '../../protocol/thought';
import type { HostToWebview, ImageCard } from '../../protocol/webviewMessages';
import { ThoughtParser } from '../../server/thought/thoughtParser';

/** The repo root, found from the bundled test (out/test/webview) or the source (test/webview). */
export const repoRoot = ((): string => {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = join(dir, '..');
    }
  }
  throw new Error('repo root not found');
})();

export const triangleTranscript = readFileSync(join(repoRoot, 'test/fixtures/transcripts/triangle.txt'), 'utf8');
export const sampleTranscript = readFileSync(join(repoRoot, 'media/samples/right-triangle.transcript.txt'), 'utf8');

export interface ParsedRun {
  segments: Segment[];
  answer: Answer;
  /** Messages as the host would send them: per chunk batch, closed segments then progress. */
  messages: HostToWebview[];
}

/** Feeds a transcript through the parser in `size`-character chunks, 10 ms apart. */
export function parseTranscript(text: string, size = 5, question = 'What is the length of AB?'): ParsedRun {
  const parser = new ThoughtParser();
  const messages: HostToWebview[] = [{ type: 'sessionStarted', question, startedAt: 0 }];
  const segments: Segment[] = [];
  let t = 0;
  for (let i = 0; i < text.length; i += size) {
    t += 10;
    const closed = parser.push({ content: text.slice(i, i + size) }, t);
    if (closed.length) {
      segments.push(...closed);
      messages.push({ type: 'segments', segments: closed });
    }
    messages.push({ type: 'progress', open: parser.openSegment(), chunks: parser.chunks });
  }
  const end = parser.finish(t + 10);
  if (end.segments.length) {
    segments.push(...end.segments);
    messages.push({ type: 'segments', segments: end.segments });
  }
  messages.push({ type: 'progress', open: null, chunks: parser.chunks });
  messages.push({ type: 'answer', answer: end.answer });
  messages.push({ type: 'end', reason: 'stop', usage: { prompt_tokens: 400, completion_tokens: parser.chunks, total_tokens: 400 + parser.chunks } });
  return { segments, answer: end.answer, messages };
}

/** A 1×1 PNG. */
export const tinyPngBase64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export function composeMessage(recentQuestions: string[] = ['What is the length of AB?']): HostToWebview {
  const image: ImageCard = {
    name: 'right-triangle.png',
    info: { width: 640, height: 480, sentWidth: 644, sentHeight: 476, imageTokens: 391, mime: 'image/png', bytes: 12595 },
    thumbnailBase64: tinyPngBase64,
  };
  return { type: 'compose', image, recentQuestions, backendLabel: 'virgo-72b · http://gpu:8000/v1' };
}

/** A segment by hand, for navigation and stats tests. */
export function seg(index: number, kind: Segment['kind'], reflection: Segment['reflection'] = null, phase: Segment['phase'] = 'thought'): Segment {
  return { index, phase, kind, reflection, text: `Segment ${index}`, tokens: 10, ms: 100 };
}
