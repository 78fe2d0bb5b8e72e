import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { Connection } from 'vscode-languageserver/node';
import { ResponseError } from 'vscode-languageserver/node';
import * as lsp from '../../protocol/lsp';
import type { OpenSegmentView } from '../../protocol/webviewMessages';
import { listModels } from '../backend/backendClient';
import { readCaCertificates } from '../backend/caCertificates';
import { ImageError, prepareImage, prepareImageBuffer, type PreparedImage } from '../image/imagePrep';
import { runReasoning } from '../reasoning/reasonSession';
import { SessionRecorder } from '../replay/sessionRecorder';

/** How many prepared images stay in memory for `reason` (the panel's current one, recent ones). */
const MAX_IMAGES = 16;
/** Finished sessions whose recording can still be saved. */
const MAX_RECORDINGS = 16;
/** Live progress at most this often: the webview renders per frame, the host needn't relay every token. */
const PROGRESS_INTERVAL_MS = 32;
const THUMBNAIL_EDGE = 480;

/**
 * The reasoning requests of the language server: prepare an image, run a session with its
 * updates as notifications, cancel it. The server owns the network and the CPU-heavy work, so
 * the extension host stays light.
 */
export class ReasoningService {
  private readonly images = new Map<string, PreparedImage>();
  private readonly sessions = new Map<string, AbortController>();
  private readonly recorders = new Map<string, SessionRecorder>();

  constructor(private readonly connection: Connection) {}

  register(): void {
    const c = this.connection;
    c.onRequest(lsp.prepareImage, (p) => this.prepare(p));
    c.onRequest(lsp.reason, (p, token) => this.reason(p, token));
    c.onRequest(lsp.checkBackend, (p) => this.check(p));
    c.onRequest(lsp.getRecording, ({ sessionId }) => this.recorders.get(sessionId)?.toRecording() ?? null);
    c.onNotification(lsp.cancelSession, ({ sessionId }) => this.sessions.get(sessionId)?.abort());
  }

  async prepare(p: lsp.PrepareImageParams): Promise<lsp.PrepareImageResult> {
    let image: PreparedImage;
    try {
      image = 'path' in p.source
        ? await prepareImage(p.source.path, { maxPixels: p.maxPixels })
        : await prepareImageBuffer(Buffer.from(p.source.dataBase64, 'base64'), p.source.name, { maxPixels: p.maxPixels });
    } catch (e) {
      if (e instanceof ImageError) throw new ResponseError(lsp.IMAGE_REFUSED, e.message, { code: e.code });
      throw e;
    }
    const imageId = randomUUID();
    this.images.set(imageId, image);
    while (this.images.size > MAX_IMAGES) this.images.delete(this.images.keys().next().value!);
    const thumbnail = await sharp(image.data)
      .resize(THUMBNAIL_EDGE, THUMBNAIL_EDGE, { fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer();
    const name = 'path' in p.source ? p.source.path.split(/[\\/]/).pop()! : p.source.name;
    return {
      imageId, name,
      info: {
        width: image.width, height: image.height, sentWidth: image.sentWidth, sentHeight: image.sentHeight,
        imageTokens: image.imageTokens, mime: image.mime, bytes: image.bytes,
      },
      thumbnailBase64: thumbnail.toString('base64'),
    };
  }

  async reason(p: lsp.ReasonParams, token: { onCancellationRequested(f: () => void): unknown }): Promise<lsp.ReasonResult> {
    const image = this.images.get(p.imageId);
    if (!image) throw new ResponseError(lsp.IMAGE_REFUSED, 'The image is no longer prepared: pick it again.');
    const controller = new AbortController();
    this.sessions.set(p.sessionId, controller);
    const recorder = new SessionRecorder(image, p.question);
    this.recorders.set(p.sessionId, recorder);
    while (this.recorders.size > MAX_RECORDINGS) this.recorders.delete(this.recorders.keys().next().value!);
    token.onCancellationRequested(() => controller.abort());
    const send = (u: lsp.SessionUpdate) => void this.connection.sendNotification(lsp.sessionUpdate, u);
    const { sessionId } = p;
    const s = p.settings;
    let lastProgress = 0;
    let pending: { open: OpenSegmentView | null; chunks: number } | undefined;
    let timer: NodeJS.Timeout | undefined;
    const flushProgress = () => {
      timer = undefined;
      if (!pending) return;
      lastProgress = Date.now();
      send({ sessionId, kind: 'progress', ...pending });
      pending = undefined;
    };
    let caCertificates: string | undefined;
    try {
      caCertificates = await caFor(s);
    } catch (e) {
      this.sessions.delete(sessionId);
      return { reason: 'error', error: (e as Error).message, errorKind: 'config' };
    }
    try {
      const outcome = await runReasoning(
        {
          image, question: p.question, model: s.model || undefined, max_tokens: s.maxTokens,
          temperature: s.temperature, promptPrefix: s.promptPrefix,
        },
        { baseUrl: s.backendUrl, apiKey: p.apiKey, idleTimeoutMs: s.idleTimeoutMs, signal: controller.signal, caCertificates },
        {
          onEvent: (event) => {
            // A closed segment supersedes the open one: send what is pending first, in order.
            if (timer) { clearTimeout(timer); flushProgress(); }
            send({ sessionId, kind: 'event', event });
          },
          onProgress: (open, chunks) => {
            pending = { open, chunks };
            if (timer) return;
            timer = setTimeout(flushProgress, Math.max(0, PROGRESS_INTERVAL_MS - (Date.now() - lastProgress)));
          },
          onRetry: (attempt, delayMs, reason) => send({ sessionId, kind: 'retrying', attempt, delayMs, reason }),
          onRequest: (body, model) => recorder.requestSent(body, model),
          onChunk: (chunk) => recorder.chunk(chunk),
        },
      );
      const error = outcome.error;
      return {
        reason: outcome.reason,
        ...(error ? { error: error.message, errorKind: error.kind, status: error.status } : {}),
      };
    } finally {
      if (timer) clearTimeout(timer);
      this.sessions.delete(sessionId);
    }
  }

  async check(s: lsp.CheckBackendParams): Promise<lsp.CheckBackendResult> {
    try {
      const models = await listModels({
        baseUrl: s.backendUrl, apiKey: s.apiKey, maxRetries: 0, idleTimeoutMs: 10_000, caCertificates: await caFor(s),
      });
      return { ok: true, models: models.map((m) => m.id) };
    } catch (e) {
      return { ok: false, models: [], error: (e as Error).message };
    }
  }
}

function caFor(s: { caCertificatePath?: string }): Promise<string | undefined> {
  return s.caCertificatePath ? readCaCertificates(s.caCertificatePath, 'the virgo.caCertificatePath setting') : Promise.resolve(undefined);
}
