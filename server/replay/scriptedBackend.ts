/**
 * A scripted OpenAI-compatible server that answers exactly as vLLM does (chunk shapes, error
 * bodies, usage chunk, [DONE]). It plays recordings with their original pacing (`virgo replay`,
 * the built-in default backend) and, for our tests, the failures real deployments produce:
 * errors mid-stream, dropped sockets, stalls, rate limits. node:http only, on 127.0.0.1.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Usage } from '../../protocol/thought';
import { planReplay, planStream, wholeCompletion, type Plan } from './streamPlan';

export { splitText } from './streamPlan';

/** vLLM ≥ 0.10.1 nests the error; older vLLM and SGLang answer flat; 'text' is a bare proxy answer. */
export type ErrorShape = 'nested' | 'flat' | 'text';

/** What goes wrong after `afterChunks` delta chunks (the first, role-only chunk not counted). */
export type StreamFault =
  /** `data: {"error":{…}}` then `data: [DONE]`, as vLLM does when generation fails. */
  | { kind: 'errorChunk'; afterChunks: number; message: string; shape?: 'nested' | 'flat'; status?: number }
  /** The socket is destroyed: no finish_reason, no [DONE]. */
  | { kind: 'drop'; afterChunks: number }
  /** No more bytes; the connection stays open until the client goes away. */
  | { kind: 'stall'; afterChunks: number };

export interface StreamScenario {
  kind: 'stream';
  /** The answer, in delta.content: a string cut into `chunkChars` pieces, or the exact pieces. */
  content?: string | string[];
  /** The thought, sent before the answer in delta[reasoningField] (vLLM's --reasoning-parser). */
  reasoning?: string | string[];
  /** 'reasoning' (newer vLLM, the default) or 'reasoning_content' (older). */
  reasoningField?: 'reasoning' | 'reasoning_content';
  /** Piece size when content / reasoning is a string; default 8. */
  chunkChars?: number;
  finishReason?: 'stop' | 'length';
  /** Pause before every delta chunk (the role chunk goes out at once). */
  delayMs?: number;
  /** Default: prompt 100, completion = number of delta chunks. */
  usage?: Partial<Usage>;
  /** Default: the request's model. */
  model?: string;
  fault?: StreamFault;
  /** Interleave keep-alive comments and malformed events between the chunks. */
  noise?: boolean;
  /** End the response without `data: [DONE]` (after finish_reason and usage). */
  omitDone?: boolean;
}

export interface ErrorScenario {
  kind: 'error';
  status: number;
  message: string;
  /** Default 'nested'. */
  shape?: ErrorShape;
  /** Default from the status, as vLLM names them (BadRequestError, NotFoundError, …). */
  type?: string;
  /** Extra response headers, e.g. { 'Retry-After': '1' }. */
  headers?: Record<string, string>;
}

/** One recorded stream event, `t` ms after the request (protocol/recording.ts's RecordedChunk fits). */
export interface TimedChunk {
  t: number;
  content?: string;
  reasoning?: string;
  finishReason?: string;
  usage?: Usage;
}

/** Serves recorded events with their original pacing: `virgo replay`, demos, UI tests. */
export interface ReplayScenario {
  kind: 'replay';
  events: TimedChunk[];
  /** 2 plays twice as fast; 0 sends everything at once. Default 1. */
  speed?: number;
  /** Where recorded reasoning goes; default 'reasoning'. */
  reasoningField?: 'reasoning' | 'reasoning_content';
  /** Default: the request's model. */
  model?: string;
}

/** The socket is destroyed before any byte of an answer (the client sees ECONNRESET). */
export interface HangUpScenario {
  kind: 'hangUp';
}

/** Chat request n (0-based, counted since the last setScenario) gets steps[min(n, last)]. */
export interface SequenceScenario {
  kind: 'sequence';
  steps: Scenario[];
}

export type Scenario = StreamScenario | ReplayScenario | ErrorScenario | HangUpScenario | SequenceScenario;

export interface ModelEntry {
  id: string;
  max_model_len?: number;
}

export interface FakeBackendOptions {
  /** Served by GET /v1/models; default [{ id: 'virgo-72b', max_model_len: 32768 }]. */
  models?: Array<string | ModelEntry>;
  /** Like `vllm serve --api-key`: /v1 requests without `Bearer <key>` get vLLM's 401. */
  apiKey?: string;
  /** GET /health status: 200 (engine alive, default) or 503 (engine dead). */
  healthStatus?: number;
  /** Port on 127.0.0.1; default 0, a free one. */
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM), e.g. a self-signed pair for TLS tests. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was empty or not JSON (see rawBody). */
  body: unknown;
  rawBody: string;
}

export interface FakeBackend {
  /** http://127.0.0.1:PORT/v1 */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Responses the client closed before we finished them (cancel, idle timeout…). */
  readonly closedConnections: number;
  setScenario(s: Scenario): void;
  close(): Promise<void>;
}

export const DEFAULT_SCENARIO: StreamScenario = {
  kind: 'stream',
  content: '<|begin_of_thought|>\n\nThe answer is 4.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n\\boxed{4}\n\n<|end_of_solution|>',
};

/** 429 with Retry-After for the first `times` chat requests, then `then`. */
export function rateLimitedThen(times: number, retryAfter: string, then: Scenario): SequenceScenario {
  const limited: ErrorScenario = {
    kind: 'error',
    status: 429,
    message: 'Too many requests',
    headers: { 'Retry-After': retryAfter },
  };
  return { kind: 'sequence', steps: [...Array.from({ length: times }, () => limited), then] };
}

export async function startScriptedBackend(
  scenario: Scenario = DEFAULT_SCENARIO,
  options: FakeBackendOptions = {},
): Promise<FakeBackend> {
  const requests: RecordedRequest[] = [];
  let current = scenario;
  let chatCount = 0;
  let closedConnections = 0;
  const models: ModelEntry[] = (options.models ?? [{ id: 'virgo-72b', max_model_len: 32768 }]).map((m) =>
    typeof m === 'string' ? { id: m, max_model_len: 32768 } : m,
  );

  const handler: http.RequestListener = (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const rawBody = Buffer.concat(parts).toString('utf8');
      const body = parseJson(rawBody);
      const path = (req.url ?? '/').split('?')[0];
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body, rawBody });
      const exchange: ResponseState = { res, alive: true, droppedByUs: false };
      res.on('close', () => {
        exchange.alive = false;
        if (!res.writableEnded && !exchange.droppedByUs) closedConnections++;
      });
      route(req.method ?? 'GET', path, body, req, exchange);
    });
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);

  function route(method: string, path: string, body: unknown, req: http.IncomingMessage, ex: ResponseState): void {
    if (method === 'GET' && path === '/health') {
      ex.res.writeHead(options.healthStatus ?? 200).end();
      return;
    }
    if (path.startsWith('/v1/') && options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      sendJson(ex.res, 401, { error: 'Unauthorized' }); // vLLM's auth middleware, word for word
      return;
    }
    if (method === 'GET' && path === '/v1/models') {
      sendJson(ex.res, 200, { object: 'list', data: models.map(modelCard) });
      return;
    }
    if (method === 'POST' && path === '/v1/chat/completions') {
      if (typeof body !== 'object' || body === null) {
        sendError(ex.res, { kind: 'error', status: 400, message: 'Expected a JSON body' });
        return;
      }
      let s = current;
      const n = chatCount++;
      while (s.kind === 'sequence') s = s.steps[Math.min(n, s.steps.length - 1)];
      answerChat(s, body as Record<string, unknown>, ex).catch(() => ex.res.destroy());
      return;
    }
    sendJson(ex.res, 404, { detail: 'Not Found' }); // FastAPI's unknown route
  }

  async function answerChat(s: Scenario, body: Record<string, unknown>, ex: ResponseState): Promise<void> {
    if (s.kind === 'hangUp') {
      ex.droppedByUs = true;
      ex.res.socket?.destroy();
      return;
    }
    if (s.kind === 'error') {
      sendError(ex.res, s);
      return;
    }
    if (s.kind === 'sequence') throw new Error('unreachable: sequences are resolved by route()');
    const model = s.model ?? (typeof body.model === 'string' ? body.model : models[0]?.id ?? 'virgo-72b');
    const plan = s.kind === 'replay' ? planReplay(s) : planStream(s);
    if (body.stream !== true) {
      sendJson(ex.res, 200, wholeCompletion(plan, model));
      return;
    }
    await streamCompletion(plan, model, body, ex);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`,
    port,
    requests,
    get closedConnections() {
      return closedConnections;
    },
    setScenario(s: Scenario) {
      current = s;
      chatCount = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Stalled streams and keep-alive sockets would otherwise hold close() forever.
        server.closeAllConnections();
      });
    },
  };
}

/** One response in flight: whether the client is still there, and whether we cut it on purpose. */
interface ResponseState {
  res: http.ServerResponse;
  alive: boolean;
  droppedByUs: boolean;
}

function modelCard(m: ModelEntry): Record<string, unknown> {
  const len = m.max_model_len !== undefined ? { max_model_len: m.max_model_len } : {};
  return { id: m.id, object: 'model', created: 1_736_000_000, owned_by: 'vllm', root: m.id, parent: null, ...len, permission: [] };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestError', 401: 'AuthenticationError', 404: 'NotFoundError',
  429: 'RateLimitError', 500: 'InternalServerError', 503: 'ServiceUnavailableError',
};

export function errorBody(status: number, message: string, shape: 'nested' | 'flat', type?: string): Record<string, unknown> {
  const fields = { message, type: type ?? ERROR_TYPES[status] ?? 'InternalServerError', param: null, code: status };
  return shape === 'flat' ? { object: 'error', ...fields } : { error: fields };
}

function sendError(res: http.ServerResponse, s: ErrorScenario): void {
  const shape = s.shape ?? 'nested';
  if (shape === 'text') {
    res.writeHead(s.status, { 'Content-Type': 'text/plain; charset=utf-8', ...s.headers }).end(s.message);
  } else {
    sendJson(res, s.status, errorBody(s.status, s.message, shape, s.type), s.headers);
  }
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(value));
}

async function streamCompletion(plan: Plan, model: string, body: Record<string, unknown>, ex: ResponseState): Promise<void> {
  const { res } = ex;
  const id = `chatcmpl-${randomBytes(16).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const event = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
  const choice = (delta: Record<string, unknown>, finish: string | null): Record<string, unknown> => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
    ...(finish ? { stop_reason: null } : {}),
  });
  const { frames, fault } = plan;
  const started = Date.now();

  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
  await write(ex, event([choice({ role: 'assistant', content: '' }, null)]));
  if (plan.noise) await write(ex, ': keep-alive\n\n');

  for (let i = 0; i <= frames.length; i++) {
    if (fault && fault.afterChunks === i) {
      if (fault.kind === 'stall') return; // 'close' on the response marks it closed by the client
      if (fault.kind === 'drop') {
        ex.droppedByUs = true;
        res.socket?.destroy();
        return;
      }
      await write(ex, `data: ${JSON.stringify(errorBody(fault.status ?? 400, fault.message, fault.shape ?? 'nested'))}\n\n`);
      await write(ex, 'data: [DONE]\n\n');
      res.end();
      return;
    }
    if (i === frames.length || !ex.alive) break;
    // Against the start, not the previous frame: long replays keep their pace without drift.
    const wait = started + frames[i].at - Date.now();
    if (wait > 0) await sleep(wait);
    if (plan.noise && i % 2 === 1) {
      await write(ex, 'data: {"id":"chatcmpl-broken","choices":[{"delta":{"content":"LOST\n\n');
      await write(ex, ': ping\n\n');
    }
    await write(ex, event([choice(frames[i].delta, frames[i].finish)]));
  }
  if (!ex.alive) return;
  const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
  if (streamOptions?.include_usage === true) await write(ex, event([], { usage: plan.usage }));
  if (!plan.omitDone) await write(ex, 'data: [DONE]\n\n');
  res.end();
}

/** Resolves once the bytes reached the socket, so a following drop cannot swallow them. */
function write(ex: ResponseState, text: string): Promise<void> {
  if (!ex.alive) return Promise.resolve();
  return new Promise((resolve) => ex.res.write(text, () => resolve()));
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
