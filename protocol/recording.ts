import type { PreparedImageInfo, Usage } from './thought';

/**
 * A recorded reasoning session: the request (without the image bytes), the image's info and
 * every stream event with its time. `virgo replay` serves one as an OpenAI-compatible backend
 * with the original pacing, so a session can be replayed, demoed and tested without a GPU.
 */
export interface Recording {
  format: 'virgo-recording';
  version: 1;
  /** Free text: where the recording came from (e.g. "written by hand, not model output"). */
  note?: string;
  createdAt: string;
  model: string;
  question: string;
  image: PreparedImageInfo & { file: string };
  /** The request body as sent, with the image data URL replaced by a placeholder. */
  request?: Record<string, unknown>;
  events: RecordedChunk[];
}

/** One stream event, `t` milliseconds after the request was sent. */
export interface RecordedChunk {
  t: number;
  content?: string;
  reasoning?: string;
  finishReason?: 'stop' | 'length';
  usage?: Usage;
}
