/**
 * The one thing inline QA sends anywhere, and only on an explicit workspace/executeCommand:
 * ask Virgo about the image a reference points to, with work-done progress and cancellation,
 * and keep the answer (the whole thought) in the answer store. An answer already stored for the
 * same image bytes, question, model and parameters is reused without sending anything.
 */
import sharp from 'sharp';
import type { CancellationToken, Connection } from 'vscode-languageserver/node';
import type { AnswerParams, AskReferenceArgs, AskReferenceResult, StoredAnswer } from '../../protocol/inlineQa';
import type { ReasonEvent, Segment } from '../../protocol/thought';
import type { BackendOptions } from '../backend/backendClient';
import { BackendError, isCancelled } from '../backend/backendErrors';
import { readCaCertificates } from '../backend/caCertificates';
import { DEFAULT_QUESTION } from '../backend/requestBuilder';
import { ImageError, prepareImageBuffer } from '../image/imagePrep';
import { sharedPools } from '../backend/replicaPool';
import { runReasoning } from '../reasoning/reasonSession';
import { suggestedQuestion } from './answerInsertions';
import { shortAnswer } from './answerPresentation';
import { answerKey, sha256, sourceKeys, summarize, type AnswerStore } from './answerStore';
import { AskRefusal, loadImageBytes, REMOTE_OFF_MESSAGE } from './referenceImage';
import type { OpenDocuments } from './referenceIndex';
import { resolveReference } from './referenceResolver';
import type { SettingsSource } from './serverSettings';

export interface AskContext {
  connection: Connection;
  documents: OpenDocuments;
  store(): Promise<AnswerStore>;
  settings: SettingsSource;
  trusted(): boolean;
  workspaceFolders(): string[];
  /** Sources being asked about now (their lens says so). */
  running: Set<string>;
  /** Asks the client to fetch code lenses and inlay hints again. */
  refresh(): void;
  /** window/showMessage (a notification: nothing to answer, unlike showErrorMessage's request). */
  showError(message: string): void;
  /** False when the client shows ask errors itself (VS Code, with buttons that fix them). */
  showErrors: boolean;
  log(message: string): void;
}

const PROGRESS_INTERVAL_MS = 250;
const THUMBNAIL_EDGE = 480;

export async function askAboutReference(ctx: AskContext, args: AskReferenceArgs | undefined, token: CancellationToken): Promise<AskReferenceResult> {
  try {
    return await ask(ctx, args, token);
  } catch (e) {
    if (isCancelled(e)) return { reason: 'cancelled' };
    const refused = e instanceof AskRefusal || e instanceof ImageError;
    const message = (e as Error).message;
    ctx.log(`inline ask ${refused ? 'refused' : 'failed'}: ${message}`);
    if (ctx.showErrors) ctx.showError(`Virgo: ${message}`);
    return { reason: 'error', error: message, errorKind: refused ? 'refused' : 'server' };
  }
}

async function ask(ctx: AskContext, args: AskReferenceArgs | undefined, token: CancellationToken): Promise<AskReferenceResult> {
  if (!ctx.trusted()) throw new AskRefusal('This workspace is not trusted, so inline answers are read-only. Trust the workspace to ask Virgo.');
  if (!args || typeof args.uri !== 'string' || !args.position) throw new AskRefusal('Ask from a reference\'s code lens, hover or code action (the command needs the document and position).');
  const settings = await ctx.settings.get();
  if (!settings.inlineQa.enabled) throw new AskRefusal('Inline diagram QA is turned off (virgo.inlineQa.enabled).');
  const doc = ctx.documents.get(args.uri);
  if (!doc) throw new AskRefusal(`Open ${args.uri} in the editor first.`);
  const ref = doc.referenceAt(args.position);
  if (!ref) throw new AskRefusal(`There is no image reference at line ${args.position.line + 1} any more.`);
  const location = resolveReference(doc, ref, ctx.workspaceFolders());
  if (location.kind === 'remote' && !settings.inlineQa.allowRemoteImages) throw new AskRefusal(REMOTE_OFF_MESSAGE);
  if (location.kind === 'unavailable') throw new AskRefusal(location.message);
  if (ctx.running.has(location.source)) throw new AskRefusal('Virgo is already answering a question about this image.');
  const question = args.question?.trim() || suggestedQuestion(doc, ref) || DEFAULT_QUESTION;
  const b = settings.backend;

  const controller = new AbortController();
  const cancel = token.onCancellationRequested(() => controller.abort());
  const progress = await ctx.connection.window.createWorkDoneProgress();
  const progressCancel = progress.token.onCancellationRequested(() => controller.abort());
  ctx.running.add(location.source);
  ctx.refresh();
  try {
    progress.begin('Virgo', undefined, `Reading ${ref.target}`, true);
    const { bytes, name, stamp } = await loadImageBytes(location, settings.inlineQa.allowRemoteImages, controller.signal);
    const image = await prepareImageBuffer(bytes, name, { maxPixels: b.maxPixels });
    const imageSha256 = sha256(bytes);
    const caCertificates = b.caCertificatePath ? await readCaCertificates(b.caCertificatePath, 'the virgo.caCertificatePath setting') : undefined;
    const backend: BackendOptions = {
      baseUrl: b.backendUrl, apiKey: args.apiKey || process.env.VIRGO_API_KEY || undefined,
      idleTimeoutMs: b.idleTimeoutMs, signal: controller.signal, caCertificates,
    };
    const store = await ctx.store();
    // The same replica pool as the panel's sessions: balancing, failover, max_tokens fitted; the
    // model (part of the answer's key) is read from whichever replica answers.
    const pool = sharedPools.forSettings(b);
    let model: string;
    const route = pool.route(backend);
    try {
      model = (await route.resolveModel(b.model)).id;
    } catch (e) {
      return backendFailure(ctx, e);
    } finally {
      route.close();
    }
    const params: AnswerParams = { maxTokens: b.maxTokens, temperature: b.temperature, maxPixels: b.maxPixels, promptPrefix: b.promptPrefix };
    const key = answerKey(imageSha256, question, model, params);
    const known = store.summary(key);
    if (known && !args.force) {
      await store.point(sourceKeys(doc.document.uri, location.source), key, imageSha256, stamp);
      ctx.log(`inline ask answered from the store: ${name} / ${question}`);
      return { reason: known.reason, key, cached: true, boxed: known.boxed, shortAnswer: shortAnswer(known) };
    }

    progress.report(`Asking ${model} about ${name}…`);
    const started = Date.now();
    let start: Extract<ReasonEvent, { type: 'start' }> | undefined;
    let answer: Extract<ReasonEvent, { type: 'answer' }> | undefined;
    const segments: Segment[] = [];
    let lastReport = 0;
    const outcome = await runReasoning(
      { image, question, model, max_tokens: b.maxTokens, temperature: b.temperature, promptPrefix: b.promptPrefix },
      { ...backend, pool },
      {
        onEvent: (e) => {
          if (e.type === 'start') start = e;
          else if (e.type === 'segment') { const { type: _t, ...s } = e; segments.push(s); }
          else if (e.type === 'answer') answer = e;
        },
        onProgress: (_open, chunks) => {
          if (Date.now() - lastReport < PROGRESS_INTERVAL_MS) return;
          lastReport = Date.now();
          progress.report(`${name}: ${chunks.toLocaleString('en-US')} tokens, ${segments.length} steps so far`);
        },
        onRetry: (attempt, delayMs, reason) => progress.report(`retrying in ${Math.round(delayMs / 1000)} s (attempt ${attempt}): ${reason}`),
      },
    );
    if (outcome.reason === 'cancelled') return { reason: 'cancelled' };
    if (outcome.reason === 'error' || !start || !answer) return backendFailure(ctx, outcome.error);

    const thumbnail = await sharp(image.data)
      .resize(THUMBNAIL_EDGE, THUMBNAIL_EDGE, { fit: 'inside', withoutEnlargement: true }).png().toBuffer();
    const { type: _s, model: _m, file: _f, ...info } = start;
    const stored: StoredAnswer = {
      version: 1, key, imageSha256, source: location.source, question, model, params,
      createdAt: Date.now(), durationMs: Date.now() - started,
      start, segments, answer: { text: answer.text, boxed: answer.boxed },
      end: { reason: outcome.reason, usage: outcome.usage },
      image: { name, info, thumbnailBase64: thumbnail.toString('base64') },
    };
    await store.save(stored, sourceKeys(doc.document.uri, location.source), stamp);
    ctx.log(`inline answer stored: ${name} / ${question} → ${answer.boxed.at(-1) ?? '(no boxed answer)'}`);
    return { reason: outcome.reason, key, cached: false, boxed: answer.boxed.at(-1) ?? null, shortAnswer: shortAnswer(summarize(stored)) };
  } finally {
    cancel.dispose();
    progressCancel.dispose();
    progress.done();
    ctx.running.delete(location.source);
    ctx.refresh();
  }
}

function backendFailure(ctx: AskContext, e: unknown): AskReferenceResult {
  if (isCancelled(e)) return { reason: 'cancelled' };
  const error = e instanceof BackendError ? e : new BackendError('protocol', String((e as Error | undefined)?.message ?? 'the backend gave no answer'));
  ctx.log(`inline ask failed: ${error.message}`);
  if (ctx.showErrors) ctx.showError(`Virgo: ${error.message}`);
  return { reason: 'error', error: error.message, errorKind: error.kind, ...(error.status ? { status: error.status } : {}) };
}
