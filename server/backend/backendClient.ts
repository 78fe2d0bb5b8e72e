/**
 * The reasoning core's only door to the model server: GET /models and a streamed POST
 * /chat/completions against any OpenAI-compatible backend (vLLM, SGLang, Ollama, LM Studio).
 * Plain Node, no `vscode`: the language server and the CLI share it.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import axios, { type AxiosResponse } from 'axios';
import {
  BackendError,
  connectionError,
  displayUrl,
  httpError,
  parseRetryAfter,
  redact,
} from './backendErrors';
import { cancelledError, isRetryable, retryReason, seconds, sleep } from './retryPolicy';
import { ChatStreamDecoder, interpretCompletion, type BackendChunk, type SseItem } from './sseStream';

export type { BackendChunk } from './sseStream';

export interface BackendOptions {
  baseUrl: string;
  apiKey?: string;
  /** No byte for this long (waiting for headers or while streaming) aborts; default 120000, ≤ 0 disables. */
  idleTimeoutMs?: number;
  /** TCP (and DNS) connection setup limit; default 10000, ≤ 0 disables. */
  connectTimeoutMs?: number;
  /** Retries of 429 / 502 / 503 / refused connections before any byte was streamed; default 3. */
  maxRetries?: number;
  /** First backoff delay, doubled each retry; default 500. */
  retryBaseMs?: number;
  signal?: AbortSignal;
  onRetry?: (attempt: number, delayMs: number, reason: string) => void;
  /** Things skipped without failing, e.g. a malformed stream event. */
  onWarning?: (message: string) => void;
  /** Extra trusted CA certificates (PEM) for an https backend with a self-signed or private CA. */
  caCertificates?: string;
}

export interface ModelInfo {
  id: string;
  max_model_len?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_RETRY_BASE_MS = 500;
/** Longest wait between two attempts, whatever Retry-After says. */
export const MAX_RETRY_DELAY_MS = 30_000;

const ERROR_BODY_LIMIT = 64 * 1024;
const JSON_BODY_LIMIT = 16 * 1024 * 1024;

/** `{base}/{path}`, tolerating a trailing slash on the base. */
export function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export async function listModels(o: BackendOptions): Promise<ModelInfo[]> {
  const open = await openWithRetries(o, 'GET', 'models', undefined);
  let text: string;
  try {
    text = await readBody(open, JSON_BODY_LIMIT);
  } catch (e) {
    throw open.ex.translate(e, false);
  } finally {
    open.close();
  }
  let data: unknown;
  try {
    data = (JSON.parse(text) as { data?: unknown }).data;
  } catch {
    data = undefined;
  }
  if (!Array.isArray(data)) {
    throw new BackendError(
      'protocol',
      `${displayUrl(endpoint(o.baseUrl, 'models'))} did not answer with a model list. ` +
        'Is the base URL an OpenAI-compatible API (it usually ends in /v1)?',
    );
  }
  return data
    .filter((m): m is { id: string; max_model_len?: unknown } => typeof m?.id === 'string')
    .map((m) => (typeof m.max_model_len === 'number' ? { id: m.id, max_model_len: m.max_model_len } : { id: m.id }));
}

/**
 * GET {rootUrl}/health once, without retries (vLLM serves it at the server root, not under /v1):
 * resolves on 2xx, else throws the BackendError, whose status tells "no such endpoint" from "dead".
 */
export async function getHealth(o: BackendOptions, rootUrl: string): Promise<void> {
  const open = await openWithRetries({ ...o, baseUrl: rootUrl, maxRetries: 0 }, 'GET', 'health', undefined);
  open.close();
}

/** POST {baseUrl}/chat/completions with stream:true; yields chunks as they arrive; ends after [DONE] or end of stream. */
export async function* streamChat(o: BackendOptions, body: Record<string, unknown>): AsyncGenerator<BackendChunk, void, undefined> {
  const model = typeof body.model === 'string' ? body.model : undefined;
  const open = await openWithRetries(o, 'POST', 'chat/completions', body, model);
  const { ex, res } = open;
  const state = { done: false, finished: false, bytes: 0 };
  try {
    const type = String(res.headers['content-type'] ?? '');
    if (/application\/json/i.test(type)) {
      // A server that ignored stream:true; rare, but cheap to accept.
      const item = interpretCompletion(await readBody(open, JSON_BODY_LIMIT));
      if (item.type === 'error') throw new BackendError('stream', `The backend reported an error: ${item.message}`);
      yield item.chunk;
      return;
    }
    if (/text\/html/i.test(type)) {
      throw new BackendError(
        'protocol',
        `${displayUrl(ex.url)} answered with a web page instead of an event stream. ` +
          'Is the base URL an OpenAI-compatible API (it usually ends in /v1)?',
      );
    }
    const decoder = new ChatStreamDecoder(o.onWarning);
    ex.armIdle();
    for await (const buf of res.data as AsyncIterable<Buffer>) {
      state.bytes += buf.length;
      ex.armIdle();
      yield* emit(decoder.push(buf), state, ex);
      if (state.done) break;
    }
    if (!state.done) yield* emit(decoder.end(), state, ex);
    if (!state.done && !state.finished) throw droppedError(state.bytes);
  } catch (e) {
    // The server's own words end up in messages; it might quote the key back.
    if (e instanceof BackendError) throw Object.assign(e, { message: redact(e.message, o.apiKey) });
    if (ex.stopReason) throw ex.translate(e, state.bytes === 0);
    // The answer was complete; only the usage chunk or [DONE] went missing.
    if (state.finished) return;
    throw droppedError(state.bytes);
  } finally {
    open.close();
  }
}

function* emit(items: SseItem[], state: { done: boolean; finished: boolean; bytes: number }, ex: Exchange): Generator<BackendChunk> {
  for (const item of items) {
    if (item.type === 'done') {
      state.done = true;
      return;
    }
    if (item.type === 'error') {
      throw new BackendError('stream', `The backend reported an error mid-stream: ${item.message}`, {
        beforeFirstByte: false,
        ...(typeof item.code === 'number' ? { status: item.code } : {}),
      });
    }
    if (item.chunk.finishReason) state.finished = true;
    // While the consumer holds the chunk, silence from the server is not the server's fault.
    ex.pauseIdle();
    yield item.chunk;
    // Cancelled while the consumer held the chunk: the rest of this read must not leak out.
    if (ex.stopReason) throw ex.translate(undefined, false);
    ex.armIdle();
  }
}

function droppedError(bytes: number): BackendError {
  return new BackendError(
    'stream',
    'The backend connection dropped mid-stream (no finish_reason, no [DONE]). The server may have ' +
      'restarted or a proxy cut the connection; see the server log, then try again.',
    { beforeFirstByte: bytes === 0 },
  );
}

/**
 * One HTTP exchange: its own abort controller and watchdogs, and why we stopped it, so that
 * the error axios then reports can be turned into ours.
 */
class Exchange {
  readonly controller = new AbortController();
  stopReason: 'idle' | 'connect' | 'cancelled' | undefined;
  stream: Readable | undefined;
  private req: http.ClientRequest | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly url: string,
    private readonly o: BackendOptions,
  ) {}

  /** Our own transport: the only way to see the socket connect and to own the request. */
  readonly transport = {
    request: (options: http.RequestOptions, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest => {
      const secure = options.protocol === 'https:';
      // The system's roots stay trusted; the user's CA is added, never substituted.
      if (secure && this.o.caCertificates) (options as https.RequestOptions).ca = [...tls.rootCertificates, this.o.caCertificates];
      const req = (secure ? https : http).request(options, onResponse);
      this.req = req;
      req.on('socket', (socket: Socket) => this.watchConnect(socket));
      return req;
    },
  };

  armIdle(): void {
    this.pauseIdle();
    const ms = this.o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (ms > 0 && !this.stopReason) this.idleTimer = setTimeout(() => this.stop('idle'), ms);
  }

  pauseIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Closes the connection for real, so that the server sees it and stops generating. */
  stop(reason: 'idle' | 'connect' | 'cancelled'): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.dispose();
  }

  dispose(): void {
    this.pauseIdle();
    if (this.connectTimer) clearTimeout(this.connectTimer);
    // Stream first: once it is destroyed, axios's own abort handler leaves it alone.
    this.stream?.destroy();
    this.req?.destroy();
    this.controller.abort();
  }

  translate(e: unknown, beforeFirstByte: boolean): BackendError {
    if (e instanceof BackendError) return e;
    if (this.stopReason === 'cancelled' || this.o.signal?.aborted) return cancelledError(beforeFirstByte);
    if (this.stopReason === 'idle') {
      const ms = this.o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
      return new BackendError(
        'idle',
        `No data from the backend for ${seconds(ms)} (idle timeout of ${ms} ms). The server may be overloaded ` +
          'or stuck; see its log, or raise the limit with --idle-timeout or the virgo.idleTimeoutMs setting.',
        { beforeFirstByte },
      );
    }
    if (this.stopReason === 'connect') {
      const ms = this.o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      return new BackendError(
        'timeout',
        `Could not connect to ${displayUrl(this.url)} within ${seconds(ms)}. Is the host reachable ` +
          '(firewall, VPN, SSH tunnel) and the port right?',
        { beforeFirstByte: true },
      );
    }
    // Read only code and message: the error object itself holds the request headers.
    const err = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; message?: unknown };
    return connectionError({
      ...(typeof err.code === 'string' ? { code: err.code } : {}),
      detail: typeof err.message === 'string' ? err.message : String(e),
      url: this.url,
      ...(this.o.apiKey ? { apiKey: this.o.apiKey } : {}),
    });
  }

  private watchConnect(socket: Socket): void {
    const ms = this.o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if (!socket.connecting || ms <= 0) return;
    this.connectTimer = setTimeout(() => this.stop('connect'), ms);
    socket.once('connect', () => clearTimeout(this.connectTimer));
  }
}

interface Open {
  ex: Exchange;
  res: AxiosResponse<Readable>;
  close(): void;
}

async function openWithRetries(
  o: BackendOptions,
  method: 'GET' | 'POST',
  path: string,
  body: Record<string, unknown> | undefined,
  model?: string,
): Promise<Open> {
  const url = endpoint(o.baseUrl, path);
  const maxRetries = Math.max(0, o.maxRetries ?? DEFAULT_MAX_RETRIES);
  for (let attempt = 0; ; attempt++) {
    if (o.signal?.aborted) throw cancelledError(true);
    const ex = new Exchange(url, o);
    const onAbort = (): void => ex.stop('cancelled');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const close = (): void => {
      o.signal?.removeEventListener('abort', onAbort);
      ex.dispose();
    };
    let failure: BackendError;
    try {
      ex.armIdle();
      const res = await axios.request<Readable>({
        method,
        url,
        data: body,
        headers: headersFor(o, method),
        responseType: 'stream',
        // Every status comes back as a response: we read error bodies ourselves.
        validateStatus: () => true,
        maxRedirects: 0,
        decompress: true,
        transport: ex.transport,
        signal: ex.controller.signal,
      });
      ex.stream = res.data;
      const open: Open = { ex, res, close };
      if (res.status >= 200 && res.status < 300) return open;
      const retryAfterMs = parseRetryAfter(headerOf(res, 'retry-after'));
      failure = httpError({
        status: res.status,
        statusText: res.statusText,
        body: await readBody(open, ERROR_BODY_LIMIT).catch((e: unknown) => {
          if (ex.stopReason) throw e;
          return '';
        }),
        baseUrl: o.baseUrl,
        ...(model !== undefined ? { model } : {}),
        ...(o.apiKey ? { apiKey: o.apiKey } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    } catch (e) {
      failure = ex.translate(e, true);
    }
    // Success returned above with the exchange still open; every failure ends it here.
    close();
    if (failure.kind === 'cancelled' || !isRetryable(failure) || attempt >= maxRetries) {
      if (attempt > 0 && failure.kind !== 'cancelled') failure.message += ` (gave up after ${attempt} ${attempt === 1 ? 'retry' : 'retries'})`;
      throw failure;
    }
    const base = o.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    const delayMs = Math.min(MAX_RETRY_DELAY_MS, failure.retryAfterMs ?? base * 2 ** attempt);
    o.onRetry?.(attempt + 1, delayMs, retryReason(failure));
    await sleep(delayMs, o.signal);
  }
}

function headersFor(o: BackendOptions, method: 'GET' | 'POST'): Record<string, string> {
  const headers: Record<string, string> = {
    Accept: method === 'POST' ? 'text/event-stream, application/json' : 'application/json',
    'User-Agent': 'virgo-vscode',
  };
  // Compression makes proxies buffer an event stream, which defeats streaming.
  if (method === 'POST') headers['Accept-Encoding'] = 'identity';
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  if (o.apiKey) headers.Authorization = `Bearer ${o.apiKey}`;
  return headers;
}

function headerOf(res: AxiosResponse, name: string): string | undefined {
  const v: unknown = res.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
}

/** The whole body as text, feeding the idle watchdog; at most `limit` bytes are kept. */
async function readBody(open: Open, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const buf of open.res.data as AsyncIterable<Buffer>) {
    open.ex.armIdle();
    if (size < limit) parts.push(buf);
    size += buf.length;
  }
  open.ex.pauseIdle();
  return Buffer.concat(parts).subarray(0, limit).toString('utf8');
}

