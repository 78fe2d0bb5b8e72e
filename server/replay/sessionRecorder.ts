import type { RecordedChunk, Recording } from '../../protocol/recording';
import type { BackendChunk } from '../backend/backendClient';
import type { PreparedImage } from '../image/imagePrep';

/**
 * Records a session as it streams: the request (image bytes left out), the image's info and
 * every chunk with its time since the request, so `virgo replay` can serve it again as it came.
 * No API key is ever part of it: keys travel in headers, which are not recorded.
 */
export class SessionRecorder {
  private readonly events: RecordedChunk[] = [];
  private started = performance.now();
  private request: Record<string, unknown> | undefined;
  private model = '';

  constructor(private readonly image: PreparedImage, private readonly question: string) {}

  requestSent(body: Record<string, unknown>, model: string): void {
    this.started = performance.now();
    this.model = model;
    this.request = withoutImageData(body);
  }

  chunk(c: BackendChunk): void {
    const e: RecordedChunk = { t: Math.round(performance.now() - this.started) };
    if (c.content) e.content = c.content;
    if (c.reasoning) e.reasoning = c.reasoning;
    if (c.finishReason === 'stop' || c.finishReason === 'length') e.finishReason = c.finishReason;
    if (c.usage) e.usage = c.usage;
    this.events.push(e);
  }

  toRecording(note?: string): Recording {
    const { image } = this;
    return {
      format: 'virgo-recording',
      version: 1,
      ...(note ? { note } : {}),
      createdAt: new Date().toISOString(),
      model: this.model,
      question: this.question,
      image: {
        file: image.file.split(/[\\/]/).pop() ?? image.file,
        width: image.width, height: image.height, sentWidth: image.sentWidth, sentHeight: image.sentHeight,
        imageTokens: image.imageTokens, mime: image.mime, bytes: image.bytes,
      },
      ...(this.request ? { request: this.request } : {}),
      events: this.events.slice(),
    };
  }
}

/** The request body with every data: URL replaced, so a recording holds no image bytes. */
function withoutImageData(body: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(body, (_key, value) =>
    typeof value === 'string' && value.startsWith('data:') ? `${value.slice(0, value.indexOf(',') + 1)}<image omitted>` : value,
  )) as Record<string, unknown>;
}
