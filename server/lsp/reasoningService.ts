import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { Connection } from 'vscode-languageserver/node';
import { ResponseError } from 'vscode-languageserver/node';
import * as lsp from '../../protocol/lsp';
import type { BackendSettings } from '../../protocol/settings';
import { ProgressThrottle } from './progressThrottle';
import { SessionQueue } from './sessionQueue';
import type { BackendOptions } from '../backend/backendClient';
import { sharedPools } from '../backend/replicaPool';
import { readCaCertificates } from '../backend/caCertificates';
import { ImageError, prepareImage, prepareImageBuffer, type PreparedImage } from '../image/imagePrep';
import { runReasoning, type Continuation } from '../reasoning/reasonSession';
import { SessionRecorder } from '../replay/sessionRecorder';
import type { HistoryService } from '../history/historyService';
import { writeFileAtomic } from '../util/atomicWrite';

/** How many prepared images stay in memory for `reason` (the panel's current one, recent ones). */
const MAX_IMAGES = 16;
/** Finished sessions whose recording can still be saved. */
const MAX_RECORDINGS = 16;
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
  /** Sessions that stopped early and can be continued. */
  private readonly interrupted = new Map<string, { request: { image: PreparedImage; question: string }; continuation: Continuation }>();
  private readonly queue = new SessionQueue(8);

  constructor(private readonly connection: Connection, private readonly history?: HistoryService) {}

  register(): void {
    const c = this.connection;
    c.onRequest(lsp.prepareImage, (p) => this.prepare(p));
    c.onRequest(lsp.reason, (p, token) => this.reason(p, token));
    c.onRequest(lsp.continueSession, (p, token) => this.continueSession(p, token));
    c.onRequest(lsp.checkBackend, (p) => this.check(p));
    c.onRequest(lsp.backendStatus, (p) => this.backendStatus(p));
    c.onRequest(lsp.getRecording, ({ sessionId }) => this.recorders.get(sessionId)?.toRecording() ?? null);
    c.onRequest(lsp.saveRecording, async ({ sessionId, path }) => {
      const recording = this.recorders.get(sessionId)?.toRecording();
      if (!recording) return null;
      // Temp file + rename: a crash mid-write leaves any earlier file whole.
      await writeFileAtomic(path, JSON.stringify(recording, null, 1) + '\n');
      return { events: recording.events.length };
    });
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

  reason(p: lsp.ReasonParams, token: CancellationLike): Promise<lsp.ReasonResult> {
    const image = this.images.get(p.imageId);
    if (!image) throw new ResponseError(lsp.IMAGE_REFUSED, 'The image is no longer prepared: pick it again.');
    const recorder = new SessionRecorder(image, p.question);
    this.recorders.set(p.sessionId, recorder);
    while (this.recorders.size > MAX_RECORDINGS) this.recorders.delete(this.recorders.keys().next().value!);
    return this.run(p.sessionId, { image, question: p.question }, p.settings, p.apiKey, token, recorder);
  }

  /** Continue: the partial answer goes back to the model, and new segments follow the old ones. */
  continueSession(p: lsp.ContinueParams, token: CancellationLike): Promise<lsp.ReasonResult> {
    const interrupted = this.interrupted.get(p.sessionId);
    if (!interrupted) throw new ResponseError(lsp.IMAGE_REFUSED, 'This session can no longer be continued: ask again.');
    this.interrupted.delete(p.sessionId);
    return this.run(p.sessionId, interrupted.request, p.settings, p.apiKey, token, this.recorders.get(p.sessionId), interrupted.continuation);
  }

  private async run(
    sessionId: string,
    request: { image: PreparedImage; question: string },
    s: BackendSettings,
    apiKey: string | undefined,
    token: CancellationLike,
    recorder: SessionRecorder | undefined,
    continueFrom?: Continuation,
  ): Promise<lsp.ReasonResult> {
    const controller = new AbortController();
    this.sessions.set(sessionId, controller);
    token.onCancellationRequested(() => controller.abort());
    const send = (u: lsp.SessionUpdate) => void this.connection.sendNotification(lsp.sessionUpdate, u);
    const progress = new ProgressThrottle((open, chunks) => send({ sessionId, kind: 'progress', open, chunks }));
    let release: (() => void) | undefined;
    try {
      const caCertificates = await caFor(s).catch((e: Error) => { throw new ConfigError(e.message); });
      this.queue.setLimit(s.maxConcurrentSessions || 8);
      if (this.queue.ahead > 0) send({ sessionId, kind: 'queued', ahead: this.queue.ahead });
      release = await this.queue.acquire(controller.signal).catch(() => undefined);
      if (!release) return { reason: 'cancelled' };
      const outcome = await runReasoning(
        {
          ...request, model: s.model || undefined, max_tokens: s.maxTokens,
          temperature: s.temperature, promptPrefix: s.promptPrefix,
        },
        // The backend's pool even for one URL: its health and max_model_len are known there.
        { baseUrl: s.backendUrl, apiKey, idleTimeoutMs: s.idleTimeoutMs, signal: controller.signal, caCertificates, pool: sharedPools.forSettings(s) },
        {
          onEvent: (event) => {
            // A closed segment supersedes the open one: send what is pending first, in order.
            progress.flush();
            send({ sessionId, kind: 'event', event });
          },
          onProgress: (open, chunks) => progress.update(open, chunks),
          onRetry: (attempt, delayMs, reason) => send({ sessionId, kind: 'retrying', attempt, delayMs, reason }),
          onRequest: (body, model) => { if (!continueFrom) recorder?.requestSent(body, model); },
          onChunk: (chunk) => recorder?.chunk(chunk),
          onNotice: (notice) => void this.connection.sendNotification(lsp.sessionNotice, { sessionId, ...notice }),
        },
        { keepOpen: true, ...(continueFrom ? { continueFrom } : {}) },
      );
      if (outcome.continuation) this.interrupted.set(sessionId, { request, continuation: outcome.continuation });
      while (this.interrupted.size > MAX_RECORDINGS) this.interrupted.delete(this.interrupted.keys().next().value!);
      // Kept before the result goes back, so the client's history is current when the session ends.
      if (recorder) await this.history?.sessionEnded({ sessionId, recorder, image: request.image, settings: s, reason: outcome.reason });
      const error = outcome.error;
      return {
        reason: outcome.reason,
        canContinue: outcome.continuation !== undefined,
        ...(error ? { error: error.message, errorKind: error.kind, status: error.status } : {}),
      };
    } catch (e) {
      if (e instanceof ConfigError) return { reason: 'error', error: e.message, errorKind: 'config' };
      throw e;
    } finally {
      progress.dispose();
      release?.();
      this.sessions.delete(sessionId);
    }
  }

  /** Probes every replica (GET /health, /models): ok when one of them answered with its models. */
  async check(s: lsp.CheckBackendParams): Promise<lsp.CheckBackendResult> {
    try {
      return lsp.summarizeBackendStatus(await sharedPools.forSettings(s).refresh(await probeOptions(s)));
    } catch (e) {
      return { ok: false, models: [], error: (e as Error).message };
    }
  }

  async backendStatus(p: lsp.BackendStatusParams): Promise<lsp.BackendStatusResult> {
    const pool = sharedPools.forSettings(p);
    return p.probe === false ? pool.snapshot() : pool.refresh(await probeOptions(p));
  }
}

async function probeOptions(s: lsp.CheckBackendParams): Promise<BackendOptions> {
  return { baseUrl: s.backendUrl, apiKey: s.apiKey, caCertificates: await caFor(s) };
}

function caFor(s: { caCertificatePath?: string }): Promise<string | undefined> {
  return s.caCertificatePath ? readCaCertificates(s.caCertificatePath, 'the virgo.caCertificatePath setting') : Promise.resolve(undefined);
}

type CancellationLike = { onCancellationRequested(f: () => void): unknown };

/** A setting that makes a request impossible (e.g. an unreadable CA file). */
class ConfigError extends Error {}
